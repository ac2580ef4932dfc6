"""Public profiles, reputation, the leaderboard; what community holds about a member (export, erasure)."""

from __future__ import annotations

import sqlalchemy as sa

from community.models import CommunityProfile, Endorsement, Post, PostFlag, PostReaction, Recommendation, Thread
from community.services.common import get_member_or_404
from core.accounts.models import Member
from core.extensions import db
from core.pagination import paginate


class PublicProfile:
    """A member as everyone may see them: no email, no company."""

    def __init__(self, member: Member, stats: CommunityProfile | None):
        self.id, self.display_name, self.member_type = member.id, member.display_name, member.member_type
        self.bio, self.joined_at = member.bio, member.created_at
        for name in ("reputation", "thread_count", "post_count", "reactions_received", "accepted_answers"):
            setattr(self, name, getattr(stats, name) if stats is not None else 0)


def public_profile(member_id: int) -> PublicProfile:
    member = get_member_or_404(member_id)
    return PublicProfile(member, db.session.get(CommunityProfile, member_id))


def leaderboard(*, limit: int, cursor: str | None):
    stmt = (
        sa.select(CommunityProfile)
        .join(Member, Member.id == CommunityProfile.member_id)
        .where(Member.erased_at.is_(None), Member.banned_at.is_(None), CommunityProfile.reputation > 0)
    )
    return paginate(stmt, [CommunityProfile.reputation, CommunityProfile.member_id], limit=limit, cursor=cursor)


def erase_member_rows(member_id: int) -> None:
    """Content stays (authored by "Former member"); the link between a reporter and their flags goes."""
    db.session.execute(sa.update(PostFlag).where(PostFlag.reporter_id == member_id).values(reporter_id=None))


def json_rows(columns: list, condition) -> list[dict]:
    return [
        {c.key: (v.isoformat() if hasattr(v, "isoformat") else v) for c, v in zip(columns, row, strict=True)}
        for row in db.session.execute(sa.select(*columns).where(condition))
    ]


def export_member_rows(member_id: int) -> dict:
    return {
        "threads": json_rows([Thread.id, Thread.title, Thread.created_at], Thread.author_id == member_id),
        "posts": json_rows([Post.id, Post.thread_id, Post.body, Post.created_at], Post.author_id == member_id),
        "reactions": json_rows(
            [PostReaction.post_id, PostReaction.kind, PostReaction.created_at, PostReaction.removed_at],
            PostReaction.member_id == member_id,
        ),
        "recommendations": json_rows(
            [Recommendation.product_id, Recommendation.score, Recommendation.body, Recommendation.updated_at],
            Recommendation.member_id == member_id,
        ),
        "endorsements": json_rows(
            [Endorsement.recommendation_id, Endorsement.created_at], Endorsement.member_id == member_id
        ),
        "flags": json_rows(
            [PostFlag.post_id, PostFlag.reason, PostFlag.details, PostFlag.created_at],
            PostFlag.reporter_id == member_id,
        ),
    }
