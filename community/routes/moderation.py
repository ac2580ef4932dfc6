"""Flags and the moderator's tools."""

from flask_login import current_user

from community.routes.common import blp, flagging_limit, responds
from community.schemas.moderation import BanSchema, PostFlagListArgsSchema, PostFlagSchema
from community.schemas.products import RecommendationSchema
from community.schemas.threads import PostSchema, ThreadSchema
from community.services import moderation, products, threads
from core.extensions import db
from core.pagination import page, page_schema

THREAD_STATES = {
    "lock": {"locked": True},
    "unlock": {"locked": False},
    "pin": {"pinned": True},
    "unpin": {"pinned": False},
}


@blp.route("/posts/<int:post_id>/flags", methods=["POST"])
@blp.login_required()
@flagging_limit
@blp.arguments(PostFlagSchema)
@blp.response(201, PostFlagSchema)
@responds(404, 409, 429)
def flag_post(data, post_id):
    """Flag a post for the moderators"""
    flag = moderation.flag_content(threads.get_post(post_id, current_user), current_user, **data)
    db.session.commit()
    return flag


@blp.route("/recommendations/<int:recommendation_id>/flags", methods=["POST"])
@blp.login_required()
@flagging_limit
@blp.arguments(PostFlagSchema)
@blp.response(201, PostFlagSchema)
@responds(404, 409, 429)
def flag_recommendation(data, recommendation_id):
    """Flag a recommendation for the moderators"""
    recommendation = products.get_recommendation(recommendation_id, current_user)
    flag = moderation.flag_content(recommendation, current_user, **data)
    db.session.commit()
    return flag


@blp.route("/moderation/flags", methods=["GET"])
@blp.login_required("moderator")
@blp.arguments(PostFlagListArgsSchema, location="query")
@blp.response(200, page_schema(PostFlagSchema))
def list_flags(args):
    """The moderation queue (open flags, oldest first)"""
    return page(*moderation.list_flags(current_user, **args))


@blp.route("/moderation/flags/<int:flag_id>/dismiss", methods=["POST"])
@blp.login_required("moderator")
@blp.response(200, PostFlagSchema)
@responds(404, 409)
def dismiss_flag(flag_id):
    """Close a flag without acting on the post"""
    flag = moderation.dismiss_flag(moderation.get_flag(flag_id), current_user)
    db.session.commit()
    return flag


@blp.route("/moderation/posts/<int:post_id>/<any(hide, unhide):action>", methods=["POST"])
@blp.login_required("moderator")
@blp.response(200, PostSchema)
@responds(404)
def set_post_visibility(post_id, action):
    """Hide a post from everyone but moderators (hide), or show it again (unhide)"""
    post = moderation.set_post_hidden(moderation.get_any_post(post_id), current_user, action == "hide")
    db.session.commit()
    return post


@blp.route("/moderation/recommendations/<int:recommendation_id>/<any(hide, unhide):action>", methods=["POST"])
@blp.login_required("moderator")
@blp.response(200, RecommendationSchema)
@responds(404)
def set_recommendation_visibility(recommendation_id, action):
    """Hide a recommendation from everyone but moderators and from NPS (hide), or show it again (unhide)"""
    recommendation = products.get_recommendation(recommendation_id, current_user)
    recommendation = moderation.set_recommendation_hidden(recommendation, current_user, action == "hide")
    db.session.commit()
    return recommendation


@blp.route("/moderation/threads/<int:thread_id>/<any(lock, unlock, pin, unpin):action>", methods=["POST"])
@blp.login_required("moderator")
@blp.response(200, ThreadSchema)
@responds(404)
def set_thread_state(thread_id, action):
    """Lock a thread against replies (lock, unlock), or pin it to the top of lists (pin, unpin)"""
    thread = moderation.set_thread_state(moderation.get_any_thread(thread_id), current_user, **THREAD_STATES[action])
    db.session.commit()
    return thread


@blp.route("/moderation/members/<int:member_id>/<any(ban, unban):action>", methods=["POST"])
@blp.login_required("moderator")
@blp.response(200, BanSchema)
@responds(404)
def set_member_ban(member_id, action):
    """Ban a member from posting, replying, reacting, recommending and flagging (ban), or lift it (unban)"""
    member = moderation.set_member_banned(member_id, current_user, action == "ban")
    db.session.commit()
    return member
