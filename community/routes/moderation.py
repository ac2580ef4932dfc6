"""Flags and the moderator's tools."""

from flask_login import current_user

from community import services
from community.routes.common import blp, flagging_limit
from community.schemas import BanSchema, PostFlagListArgsSchema, PostFlagSchema, PostSchema, ThreadSchema
from core.extensions import db
from core.pagination import page, page_schema


@blp.route("/posts/<int:post_id>/flags", methods=["POST"])
@blp.login_required()
@flagging_limit
@blp.arguments(PostFlagSchema)
@blp.response(201, PostFlagSchema)
def flag_post(data, post_id):
    """Flag a post for the moderators"""
    flag = services.flag_post(services.get_post(post_id, current_user), current_user, **data)
    db.session.commit()
    return flag


@blp.route("/moderation/flags", methods=["GET"])
@blp.login_required("moderator")
@blp.arguments(PostFlagListArgsSchema, location="query")
@blp.response(200, page_schema(PostFlagSchema))
def list_flags(args):
    """The moderation queue (open flags, oldest first)"""
    return page(*services.list_flags(**args))


@blp.route("/moderation/flags/<int:flag_id>/dismiss", methods=["POST"])
@blp.login_required("moderator")
@blp.response(200, PostFlagSchema)
def dismiss_flag(flag_id):
    """Close a flag without acting on the post"""
    flag = services.dismiss_flag(services.get_flag(flag_id), current_user)
    db.session.commit()
    return flag


def hide_view(hidden: bool):
    def view(post_id):
        post = services.set_post_hidden(services.get_any_post(post_id), current_user, hidden)
        db.session.commit()
        return post

    return view


def thread_view(**state: bool):
    def view(thread_id):
        thread = services.set_thread_state(services.get_any_thread(thread_id), **state)
        db.session.commit()
        return thread

    return view


def ban_view(banned: bool):
    def view(member_id):
        member = services.set_member_banned(member_id, current_user, banned)
        db.session.commit()
        return member

    return view


def register(rule: str, name: str, schema, view, doc: str) -> None:
    view.__name__, view.__doc__ = name, doc
    blp.route(rule, methods=["POST"], endpoint=name)(blp.login_required("moderator")(blp.response(200, schema)(view)))


for action, value, doc in [
    ("hide", True, "Hide a post from everyone but moderators"),
    ("unhide", False, "Show a post again"),
]:
    register(f"/moderation/posts/<int:post_id>/{action}", f"{action}_post", PostSchema, hide_view(value), doc)
for action, state, doc in [
    ("lock", {"locked": True}, "Lock a thread: no more replies"),
    ("unlock", {"locked": False}, "Unlock a thread"),
    ("pin", {"pinned": True}, "Pin a thread to the top of lists"),
    ("unpin", {"pinned": False}, "Unpin a thread"),
]:
    register(
        f"/moderation/threads/<int:thread_id>/{action}", f"{action}_thread", ThreadSchema, thread_view(**state), doc
    )
for action, value, doc in [
    ("ban", True, "Ban a member: no posting, reacting, recommending or flagging"),
    ("unban", False, "Lift a ban"),
]:
    register(f"/moderation/members/<int:member_id>/{action}", f"{action}_member", BanSchema, ban_view(value), doc)
