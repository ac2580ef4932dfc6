"""Flags, the moderator queue, hiding posts, locking and pinning threads, banning members."""

from __future__ import annotations

import sqlalchemy as sa

from community.models import REACTION_KINDS, Post, PostFlag, Thread
from community.services.common import (
    bump_profile,
    ensure_can_contribute,
    ensure_moderator,
    get_member_or_404,
    get_row,
    increment,
)
from community.services.reactions import reaction_points, withdraw_accepted_answer
from community.services.threads import REPLY_SCORE, refresh_last_activity
from core.accounts import services as accounts
from core.accounts.models import Member
from core.auth import has_role
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import utcnow
from core.pagination import paginate


def flag_post(post: Post, member: Member, *, reason: str, details: str = "") -> PostFlag:
    ensure_can_contribute(member)
    if post.author_id == member.id:
        raise Forbidden("You cannot flag your own post.")
    taken = sa.select(PostFlag.id).where(PostFlag.post_id == post.id, PostFlag.reporter_id == member.id)
    if db.session.scalar(taken) is not None:
        raise Conflict("You have flagged this post already.", field="post_id")
    flag = PostFlag(post_id=post.id, reporter_id=member.id, reason=reason, details=details.strip())
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
    unhiding puts them back. The flip is one UPDATE that locks the row and returns the counts
    (reactions racing with it wait, then see the new flag), so counters stay exact.
    """
    ensure_moderator(moderator)
    counts = db.session.execute(
        sa.update(Post)
        .where(Post.id == post.id, Post.hidden.is_not(hidden))
        .values(hidden=hidden)
        .returning(*(getattr(Post, f"{kind}_count") for kind in REACTION_KINDS)),
        execution_options={"synchronize_session": False},
    ).one_or_none()
    db.session.refresh(post)
    if counts is not None:
        count_publicly(post, dict(zip(REACTION_KINDS, counts, strict=True)), -1 if hidden else +1)
    if hidden:
        open_flags = db.session.scalars(
            sa.select(PostFlag).where(PostFlag.post_id == post.id, PostFlag.status == "open")
        )
        resolve_flags(list(open_flags), moderator, "actioned")
    db.session.flush()
    return post


def count_publicly(post: Post, reactions: dict[str, int], sign: int) -> None:
    """Add (sign +1) or take out (-1) what a post contributes to public counters."""
    thread = db.session.get(Thread, post.thread_id)
    received = sum(reactions.values())
    points = reaction_points(reactions)
    if post.is_opener:
        thread.hidden = sign < 0
        bump_profile(post.author_id, thread_count=sign, reactions_received=sign * received, reputation=sign * points)
        return
    increment(
        Thread, thread.id, reply_count=sign, reaction_count=sign * received, score=sign * (REPLY_SCORE + received)
    )
    bump_profile(post.author_id, post_count=sign, reactions_received=sign * received, reputation=sign * points)
    refresh_last_activity(thread.id)
    if sign < 0 and thread.accepted_post_id == post.id:
        withdraw_accepted_answer(thread)


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
