"""Flags and the moderator's tools."""

from flask_login import current_user

from community import services
from community.routes.common import blp, flagging_limit, responds
from community.schemas import BanSchema, PostFlagListArgsSchema, PostFlagSchema, PostSchema, ThreadSchema
from core.extensions import db
from core.pagination import page, page_schema


@blp.route("/posts/<int:post_id>/flags", methods=["POST"])
@blp.login_required()
@flagging_limit
@blp.arguments(PostFlagSchema)
@blp.response(201, PostFlagSchema)
@responds(404, 409, 429)
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
    return page(*services.list_flags(current_user, **args))


@blp.route("/moderation/flags/<int:flag_id>/dismiss", methods=["POST"])
@blp.login_required("moderator")
@blp.response(200, PostFlagSchema)
@responds(404, 409)
def dismiss_flag(flag_id):
    """Close a flag without acting on the post"""
    flag = services.dismiss_flag(services.get_flag(flag_id), current_user)
    db.session.commit()
    return flag


@blp.route("/moderation/posts/<int:post_id>/hide", methods=["POST"])
@blp.login_required("moderator")
@blp.response(200, PostSchema)
@responds(404)
def hide_post(post_id):
    """Hide a post from everyone but moderators"""
    post = services.set_post_hidden(services.get_any_post(post_id), current_user, True)
    db.session.commit()
    return post


@blp.route("/moderation/posts/<int:post_id>/unhide", methods=["POST"])
@blp.login_required("moderator")
@blp.response(200, PostSchema)
@responds(404)
def unhide_post(post_id):
    """Show a hidden post again"""
    post = services.set_post_hidden(services.get_any_post(post_id), current_user, False)
    db.session.commit()
    return post


@blp.route("/moderation/threads/<int:thread_id>/lock", methods=["POST"])
@blp.login_required("moderator")
@blp.response(200, ThreadSchema)
@responds(404)
def lock_thread(thread_id):
    """Lock a thread: no more replies"""
    thread = services.set_thread_state(services.get_any_thread(thread_id), current_user, locked=True)
    db.session.commit()
    return thread


@blp.route("/moderation/threads/<int:thread_id>/unlock", methods=["POST"])
@blp.login_required("moderator")
@blp.response(200, ThreadSchema)
@responds(404)
def unlock_thread(thread_id):
    """Unlock a thread"""
    thread = services.set_thread_state(services.get_any_thread(thread_id), current_user, locked=False)
    db.session.commit()
    return thread


@blp.route("/moderation/threads/<int:thread_id>/pin", methods=["POST"])
@blp.login_required("moderator")
@blp.response(200, ThreadSchema)
@responds(404)
def pin_thread(thread_id):
    """Pin a thread to the top of lists"""
    thread = services.set_thread_state(services.get_any_thread(thread_id), current_user, pinned=True)
    db.session.commit()
    return thread


@blp.route("/moderation/threads/<int:thread_id>/unpin", methods=["POST"])
@blp.login_required("moderator")
@blp.response(200, ThreadSchema)
@responds(404)
def unpin_thread(thread_id):
    """Unpin a thread"""
    thread = services.set_thread_state(services.get_any_thread(thread_id), current_user, pinned=False)
    db.session.commit()
    return thread


@blp.route("/moderation/members/<int:member_id>/ban", methods=["POST"])
@blp.login_required("moderator")
@blp.response(200, BanSchema)
@responds(404)
def ban_member(member_id):
    """Ban a member: no posting, replying, reacting, recommending or flagging"""
    member = services.set_member_banned(member_id, current_user, True)
    db.session.commit()
    return member


@blp.route("/moderation/members/<int:member_id>/unban", methods=["POST"])
@blp.login_required("moderator")
@blp.response(200, BanSchema)
@responds(404)
def unban_member(member_id):
    """Lift a member's ban"""
    member = services.set_member_banned(member_id, current_user, False)
    db.session.commit()
    return member
