"""Categories, threads, replies, reactions, accepted answers, sharing threads."""

from flask_login import current_user

from community.routes.common import blp, posting_limit, responds, viewer
from community.schemas.threads import (
    AcceptSchema,
    CategorySchema,
    PostSchema,
    PostUpdateSchema,
    ShareLinkSchema,
    ThreadListArgsSchema,
    ThreadSchema,
    ThreadUpdateSchema,
)
from community.services import reactions, threads
from core.extensions import db
from core.pagination import page, page_schema
from core.schemas import PageArgsSchema


@blp.route("/categories", methods=["GET"])
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(CategorySchema))
def list_categories(args):
    """Categories (spaces) of the community"""
    return page(*threads.list_categories(**args))


@blp.route("/categories", methods=["POST"])
@blp.login_required("moderator")
@blp.arguments(CategorySchema)
@blp.response(201, CategorySchema)
@responds(409)
def create_category(data):
    """Create a category"""
    category = threads.create_category(current_user, **data)
    db.session.commit()
    return category


@blp.route("/threads", methods=["GET"])
@blp.arguments(ThreadListArgsSchema, location="query")
@blp.response(200, page_schema(ThreadSchema))
def list_threads(args):
    """Threads, pinned first, by latest, most active or top"""
    return page(*threads.list_threads(viewer(), **args))


@blp.route("/threads", methods=["POST"])
@blp.login_required()
@posting_limit
@blp.arguments(ThreadSchema)
@blp.response(201, ThreadSchema)
@responds(429)
def create_thread(data):
    """Start a thread (Markdown body)"""
    thread = threads.create_thread(current_user, **data)
    db.session.commit()
    return thread


@blp.route("/threads/<int:thread_id>", methods=["GET"])
@blp.response(200, ThreadSchema)
@responds(404)
def get_thread(thread_id):
    """One thread"""
    return threads.get_thread(thread_id, viewer())


@blp.route("/threads/<int:thread_id>", methods=["PATCH"])
@blp.login_required()
@blp.arguments(ThreadUpdateSchema(partial=True))
@blp.response(200, ThreadSchema)
@responds(404)
def update_thread(changes, thread_id):
    """Edit a thread (its author or a moderator)"""
    thread = threads.update_thread(threads.get_thread(thread_id, current_user), current_user, changes)
    db.session.commit()
    return thread


@blp.route("/threads/<int:thread_id>", methods=["DELETE"])
@blp.login_required()
@blp.response(204)
@responds(404)
def delete_thread(thread_id):
    """Delete a thread (soft; its author or a moderator)"""
    threads.delete_thread(threads.get_thread(thread_id, current_user), current_user)
    db.session.commit()


@blp.route("/threads/<int:thread_id>/posts", methods=["GET"])
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(PostSchema))
@responds(404)
def list_posts(args, thread_id):
    """A thread's posts, opening post first"""
    return page(*threads.list_posts(threads.get_thread(thread_id, viewer()), viewer(), **args))


@blp.route("/threads/<int:thread_id>/posts", methods=["POST"])
@blp.login_required()
@posting_limit
@blp.arguments(PostSchema)
@blp.response(201, PostSchema)
@responds(404, 429)
def create_post(data, thread_id):
    """Reply in a thread, optionally to another reply"""
    post = threads.create_post(threads.get_thread(thread_id, current_user), current_user, **data)
    db.session.commit()
    return post


@blp.route("/posts/<int:post_id>", methods=["PATCH"])
@blp.login_required()
@blp.arguments(PostUpdateSchema)
@blp.response(200, PostSchema)
@responds(404)
def update_post(data, post_id):
    """Edit a post (its author or a moderator)"""
    post = threads.update_post(threads.get_post(post_id, current_user), current_user, data["body"])
    db.session.commit()
    return post


@blp.route("/posts/<int:post_id>", methods=["DELETE"])
@blp.login_required()
@blp.response(204)
@responds(404)
def delete_post(post_id):
    """Delete a reply (soft; its author or a moderator)"""
    threads.delete_post(threads.get_post(post_id, current_user), current_user)
    db.session.commit()


@blp.route("/posts/<int:post_id>/reactions/<kind>", methods=["PUT"])
@blp.login_required()
@blp.response(200, PostSchema)
@responds(404)
def add_reaction(post_id, kind):
    """React to a post (like, helpful, insightful); idempotent"""
    post = reactions.add_reaction(threads.get_post(post_id, current_user), current_user, kind)
    db.session.commit()
    return post


@blp.route("/posts/<int:post_id>/reactions/<kind>", methods=["DELETE"])
@blp.login_required()
@blp.response(200, PostSchema)
@responds(404)
def remove_reaction(post_id, kind):
    """Take a reaction back; idempotent"""
    post = reactions.remove_reaction(threads.get_post(post_id, current_user), current_user, kind)
    db.session.commit()
    return post


@blp.route("/threads/<int:thread_id>/accept", methods=["POST"])
@blp.login_required()
@blp.arguments(AcceptSchema)
@blp.response(200, ThreadSchema)
@responds(404)
def accept_answer(data, thread_id):
    """Mark a reply as the accepted answer (thread author or moderator)"""
    thread = reactions.accept_answer(threads.get_thread(thread_id, current_user), current_user, data["post_id"])
    db.session.commit()
    return thread


@blp.route("/threads/<int:thread_id>/share", methods=["POST"])
@blp.login_required()
@blp.response(201, ShareLinkSchema)
@responds(404)
def share_thread(thread_id):
    """A share link for a thread, carrying your referral code"""
    link = threads.share_thread(threads.get_thread(thread_id, current_user), current_user)
    db.session.commit()
    return link
