"""Flags (on posts and recommendations), the moderator queue, hiding content, locking and pinning
threads, banning members."""

from __future__ import annotations

import sqlalchemy as sa

from community.models import Post, PostFlag, Recommendation, Thread
from community.services.common import (
    ensure_can_contribute,
    ensure_moderator,
    get_member_or_404,
    get_row,
)
from community.services.threads import count_publicly, flip_post, reactions_of
from core.accounts import services as accounts
from core.accounts.models import Member
from core.auth import has_role
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import utcnow
from core.pagination import paginate

# What a flag can name: the flag's column for it, and the attribute holding its author.
FLAGGABLE = {Post: ("post_id", "author_id"), Recommendation: ("recommendation_id", "member_id")}


def flag_content(content: Post | Recommendation, member: Member, *, reason: str, details: str = "") -> PostFlag:
    """A member reports a post or a recommendation to the moderators (once each)."""
    ensure_can_contribute(member)
    column, author = FLAGGABLE[type(content)]
    if getattr(content, author) == member.id:
        raise Forbidden("You cannot flag your own post or recommendation.")
    taken = sa.select(PostFlag.id).where(getattr(PostFlag, column) == content.id, PostFlag.reporter_id == member.id)
    if db.session.scalar(taken) is not None:
        raise Conflict("You have flagged this already.", field=column)
    flag = PostFlag(**{column: content.id}, reporter_id=member.id, reason=reason, details=details.strip())
    db.session.add(flag)
    db.session.flush()
    return flag


def list_flags(moderator: Member, *, status: str, limit: int, cursor: str | None):
    ensure_moderator(moderator)
    stmt = sa.select(PostFlag).where(PostFlag.status == status)
    return paginate(stmt, [PostFlag.id], limit=limit, cursor=cursor, descending=status != "open")


def get_flag(flag_id: int) -> PostFlag:
    flag = get_row(PostFlag, flag_id)
    if flag is None:
        raise NotFound("No such flag.")
    return flag


def resolve_flags(flags: list[PostFlag], moderator: Member, status: str) -> None:
    for flag in flags:
        flag.status, flag.resolved_at, flag.resolved_by_id = status, utcnow(), moderator.id


def dismiss_flag(flag: PostFlag, moderator: Member) -> PostFlag:
    ensure_moderator(moderator)
    if flag.status != "open":
        raise Conflict("This flag is resolved already.")
    resolve_flags([flag], moderator, "dismissed")
    db.session.flush()
    return flag


def get_any_post(post_id: int) -> Post:
    post = get_row(Post, post_id)
    if post is None or post.deleted_at is not None:
        raise NotFound("No such post.")
    return post


def set_post_hidden(post: Post, moderator: Member, hidden: bool) -> Post:
    """Hiding resolves the post's open flags; hiding an opening post hides its thread.

    Hidden content does not count publicly: the post leaves its thread's counters and its author's
    post_count and reputation (the reactions it received; an accepted answer is withdrawn), and
    unhiding puts them back (threads.flip_post keeps the counts exact under concurrency).
    """
    ensure_moderator(moderator)
    state = flip_post(post, Post.hidden.is_not(hidden), hidden=hidden)
    if state is not None:
        count_publicly(post, reactions_of(state), -1 if hidden else +1)
    if hidden:
        action_open_flags(PostFlag.post_id == post.id, moderator)
    db.session.flush()
    return post


def action_open_flags(subject, moderator: Member) -> None:
    """Hiding content resolves the open flags on it: the moderators acted on them."""
    open_flags = db.session.scalars(sa.select(PostFlag).where(subject, PostFlag.status == "open"))
    resolve_flags(list(open_flags), moderator, "actioned")


def set_recommendation_hidden(recommendation: Recommendation, moderator: Member, hidden: bool) -> Recommendation:
    """A hidden recommendation leaves its product's list (but for moderators) and NPS; hiding
    resolves its open flags."""
    ensure_moderator(moderator)
    recommendation.hidden = hidden
    if hidden:
        action_open_flags(PostFlag.recommendation_id == recommendation.id, moderator)
    db.session.flush()
    return recommendation


def get_any_thread(thread_id: int) -> Thread:
    thread = get_row(Thread, thread_id)
    if thread is None or thread.deleted_at is not None:
        raise NotFound("No such thread.")
    return thread


def set_thread_state(thread: Thread, moderator: Member | None, **state: bool) -> Thread:
    ensure_moderator(moderator)
    for name, value in state.items():  # locked / pinned
        setattr(thread, name, value)
    db.session.flush()
    return thread


def set_member_banned(member_id: int, moderator: Member, banned: bool) -> Member:
    ensure_moderator(moderator)
    member = get_member_or_404(member_id)
    if member.id == moderator.id:
        raise ValidationFailed("You cannot ban or unban yourself.", field="member_id")
    staff = any(role != "member" for role in member.role_names)
    if staff and not has_role(moderator, "admin"):
        raise Forbidden("Only an admin may ban or unban staff.")
    accounts.set_banned(member, banned)
    db.session.flush()
    return member
