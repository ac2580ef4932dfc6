"""Reactions and accepted answers: the two things reputation is made of."""

from __future__ import annotations

import sqlalchemy as sa

from community.models import REACTION_KINDS, Post, PostReaction, Thread
from community.services.common import (
    bump_profile,
    ensure_can_contribute,
    get_row,
    increment,
    is_moderator,
    record_activity,
)
from community.services.notices import notify_accepted
from core.accounts.models import Member
from core.database import upsert_statement
from core.errors import Forbidden, ValidationFailed
from core.extensions import db
from core.models import utcnow
from core.signals import ANSWER_ACCEPTED, REACTION_GIVEN, REACTION_RECEIVED

# Reputation points (also in docs/community.md).
REACTION_POINTS = {"like": 1, "helpful": 3, "insightful": 2}
ACCEPTED_ANSWER_POINTS = 15


def add_reaction(post: Post, member: Member, kind: str) -> Post:
    """Idempotent: reacting twice with the same kind changes nothing and records nothing.

    Reacting again after taking a reaction back restores the row: counted again, announced once only.
    """
    ensure_kind(kind)
    ensure_can_contribute(member)
    if post.author_id == member.id:
        raise Forbidden("You cannot react to your own post.")
    table = PostReaction.__table__
    stmt = (
        upsert_statement(table)
        .values(post_id=post.id, member_id=member.id, kind=kind)
        .on_conflict_do_nothing(index_elements=[table.c.post_id, table.c.member_id, table.c.kind])
        .returning(table.c.id)
    )
    if db.session.execute(stmt).scalar() is not None:
        apply_reaction(post, member.id, kind, +1)
        record_activity(member.id, REACTION_GIVEN, "post", post.id, kind=kind, thread_id=post.thread_id)
        record_activity(post.author_id, REACTION_RECEIVED, "post", post.id, kind=kind, from_member_id=member.id)
    elif set_reaction_removed(post, member, kind, removed=False):
        apply_reaction(post, member.id, kind, +1)
    return post


def set_reaction_removed(post: Post, member: Member, kind: str, *, removed: bool) -> bool:
    """Flip one reaction row's removed_at; True when this call flipped it (a concurrent twin finds nothing)."""
    mine = (PostReaction.post_id == post.id, PostReaction.member_id == member.id, PostReaction.kind == kind)
    state = PostReaction.removed_at.is_(None) if removed else PostReaction.removed_at.is_not(None)
    flipped = db.session.execute(
        sa.update(PostReaction)
        .where(*mine, state)
        .values(removed_at=utcnow() if removed else None)
        .returning(PostReaction.id),
        execution_options={"synchronize_session": False},
    )
    return flipped.scalar() is not None


def ensure_kind(kind: str) -> None:
    if kind not in REACTION_KINDS:
        raise ValidationFailed(f"Reactions are one of: {', '.join(REACTION_KINDS)}.", field="kind")


def remove_reaction(post: Post, member: Member, kind: str) -> Post:
    ensure_kind(kind)
    if set_reaction_removed(post, member, kind, removed=True):
        apply_reaction(post, member.id, kind, -1)
    return post


def apply_reaction(post: Post, member_id: int, kind: str, sign: int) -> None:
    increment(Post, post.id, **{f"{kind}_count": sign})
    # Read after the UPDATE (which waits for a concurrent hide): a hidden post counts only on itself.
    if not db.session.scalar(sa.select(Post.hidden).where(Post.id == post.id)):
        increment(Thread, post.thread_id, reaction_count=sign, score=sign)
        bump_profile(post.author_id, reactions_received=sign, reputation=sign * REACTION_POINTS[kind])


def reaction_points(reactions: dict[str, int]) -> int:
    """Reputation a post's reactions are worth, {kind: count} -> points."""
    return sum(REACTION_POINTS[kind] * count for kind, count in reactions.items())


def accept_answer(thread: Thread, actor: Member, post_id: int) -> Thread:
    ensure_can_contribute(actor)
    if actor.id != thread.author_id and not is_moderator(actor):
        raise Forbidden("Only the thread's author or a moderator may accept an answer.")
    post = get_row(Post, post_id)
    if post is None or post.thread_id != thread.id or post.is_opener or post.deleted_at or post.hidden:
        raise ValidationFailed("post_id must be a visible reply in this thread.", field="post_id")
    if thread.accepted_post_id == post.id:
        return thread
    withdraw_accepted_answer(thread)
    thread.accepted_post_id = post.id
    if earns_acceptance(thread, post):
        bump_profile(post.author_id, accepted_answers=1, reputation=ACCEPTED_ANSWER_POINTS)
        if first_acceptance(post):
            record_activity(post.author_id, ANSWER_ACCEPTED, "post", post.id, thread_id=thread.id)
            notify_accepted(post, actor)
    db.session.flush()
    return thread


def earns_acceptance(thread: Thread, post: Post) -> bool:
    """Answering your own question may mark the answer, but earns no points and is no activity."""
    return post.author_id != thread.author_id


def first_acceptance(post: Post) -> bool:
    """Stamp first_accepted_at once; True only for the call that stamped it (accepting A, B, A announces A once)."""
    stamped = db.session.execute(
        sa.update(Post)
        .where(Post.id == post.id, Post.first_accepted_at.is_(None))
        .values(first_accepted_at=utcnow())
        .returning(Post.id),
        execution_options={"synchronize_session": False},
    )
    return stamped.scalar() is not None


def withdraw_accepted_answer(thread: Thread) -> None:
    if thread.accepted_post_id is None:
        return
    previous = db.session.get(Post, thread.accepted_post_id)
    if earns_acceptance(thread, previous):
        bump_profile(previous.author_id, accepted_answers=-1, reputation=-ACCEPTED_ANSWER_POINTS)
    thread.accepted_post_id = None
