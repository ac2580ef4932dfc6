"""What community knows of members' voice, read set-based for other packages (customer journey and
health): their latest ratings and recommendations, promoters, and questions nobody answered."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from community.models import Post, Recommendation, Thread, ThreadFeedback
from core.extensions import db

PROMOTER = 9


def latest_rows(model, columns: list, member_ids: list[int], since: datetime) -> dict[int, dict]:
    """Each member's most recent row of `model` since `since` (by updated_at), as {member_id: {column: value}}."""
    if not member_ids:
        return {}
    rank = sa.func.row_number().over(partition_by=model.member_id, order_by=(model.updated_at.desc(), model.id.desc()))
    ranked = (
        sa.select(model.member_id, *columns, rank.label("rank"))
        .where(model.member_id.in_(member_ids), model.updated_at >= since)
        .subquery()
    )
    rows = db.session.execute(sa.select(ranked).where(ranked.c.rank == 1)).mappings()
    return {row["member_id"]: {c.key: row[c.key] for c in columns} for row in rows}


def latest_ratings(member_ids: list[int], since: datetime) -> dict[int, dict]:
    """{member_id: {thread_id, csat, ces, updated_at}} of each member's latest rating since `since`."""
    columns = [ThreadFeedback.thread_id, ThreadFeedback.csat, ThreadFeedback.ces, ThreadFeedback.updated_at]
    return latest_rows(ThreadFeedback, columns, member_ids, since)


def latest_recommendations(member_ids: list[int], since: datetime) -> dict[int, dict]:
    """{member_id: {product_id, score, updated_at}} of each member's latest recommendation since `since`."""
    columns = [Recommendation.product_id, Recommendation.score, Recommendation.updated_at]
    return latest_rows(Recommendation, columns, member_ids, since)


def promoted_at(member_ids: list[int]) -> dict[int, datetime]:
    """When each member (of these) first gave a score that stands at 9-10 now: promoters only."""
    if not member_ids:
        return {}
    stmt = (
        sa.select(Recommendation.member_id, sa.func.min(Recommendation.updated_at))
        .where(Recommendation.member_id.in_(member_ids), Recommendation.score >= PROMOTER)
        .group_by(Recommendation.member_id)
    )
    return dict(db.session.execute(stmt).all())


def unanswered_questions(member_ids: list[int], *, asked_since: datetime, asked_before: datetime) -> dict[int, dict]:
    """{member_id: {count, oldest_at}}: their visible threads started in [asked_since, asked_before) that no
    one else has answered with a visible reply."""
    if not member_ids:
        return {}
    answered = sa.exists().where(
        Post.thread_id == Thread.id,
        Post.is_opener.is_(False),
        Post.deleted_at.is_(None),
        Post.hidden.is_(False),
        Post.author_id != Thread.author_id,
    )
    stmt = (
        sa.select(Thread.author_id, sa.func.count(Thread.id), sa.func.min(Thread.created_at))
        .where(
            Thread.author_id.in_(member_ids),
            Thread.deleted_at.is_(None),
            Thread.hidden.is_(False),
            Thread.created_at >= asked_since,
            Thread.created_at < asked_before,
            ~answered,
        )
        .group_by(Thread.author_id)
    )
    return {member_id: {"count": count, "oldest_at": oldest} for member_id, count, oldest in db.session.execute(stmt)}
