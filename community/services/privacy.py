"""What community holds about a member: exported on request, anonymised on erasure."""

from __future__ import annotations

import sqlalchemy as sa

from community.models import Endorsement, Post, PostFlag, PostReaction, Recommendation, Thread, ThreadFeedback
from core.accounts.models import Member
from core.extensions import db


def anonymise_member(member_id: int) -> None:
    """Content stays (authored by "Former member"); the link between a reporter and their flags
    goes, and so does what they wrote in them and in their private ratings (the numbers stay for
    the record, out of every summary)."""
    db.session.execute(
        sa.update(PostFlag).where(PostFlag.reporter_id == member_id).values(reporter_id=None, details="")
    )
    db.session.execute(sa.update(ThreadFeedback).where(ThreadFeedback.member_id == member_id).values(comment=""))


def json_rows(columns: list, condition) -> list[dict]:
    return [
        {c.key: (v.isoformat() if hasattr(v, "isoformat") else v) for c, v in zip(columns, row, strict=True)}
        for row in db.session.execute(sa.select(*columns).where(condition))
    ]


def export_member(member: Member) -> dict:
    return {
        "threads": json_rows([Thread.id, Thread.title, Thread.created_at], Thread.author_id == member.id),
        "posts": json_rows([Post.id, Post.thread_id, Post.body, Post.created_at], Post.author_id == member.id),
        "reactions": json_rows(
            [PostReaction.post_id, PostReaction.kind, PostReaction.created_at, PostReaction.removed_at],
            PostReaction.member_id == member.id,
        ),
        "recommendations": json_rows(
            [Recommendation.product_id, Recommendation.score, Recommendation.body, Recommendation.updated_at],
            Recommendation.member_id == member.id,
        ),
        "endorsements": json_rows(
            [Endorsement.recommendation_id, Endorsement.created_at], Endorsement.member_id == member.id
        ),
        "feedback": json_rows(
            [
                ThreadFeedback.thread_id,
                ThreadFeedback.csat,
                ThreadFeedback.ces,
                ThreadFeedback.comment,
                ThreadFeedback.updated_at,
            ],
            ThreadFeedback.member_id == member.id,
        ),  # fmt: skip
        "flags": json_rows(
            [PostFlag.post_id, PostFlag.reason, PostFlag.details, PostFlag.created_at],
            PostFlag.reporter_id == member.id,
        ),
    }
