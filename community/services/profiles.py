"""Public profiles, reputation, the leaderboard."""

from __future__ import annotations

import sqlalchemy as sa

from community.models import CommunityProfile
from community.services.common import get_member_or_404
from core.accounts.models import Member
from core.accounts.prospects import is_unclaimed_prospect
from core.auth import is_staff
from core.errors import NotFound
from core.extensions import db
from core.pagination import paginate


class PublicProfile:
    """A member as everyone may see them: no email, no company."""

    def __init__(self, member: Member, stats: CommunityProfile | None):
        self.id, self.display_name, self.member_type = member.id, member.display_name, member.member_type
        self.bio, self.joined_at = member.bio, member.created_at
        for name in ("reputation", "thread_count", "post_count", "reactions_received", "accepted_answers"):
            setattr(self, name, getattr(stats, name) if stats is not None else 0)


def public_profile(member_id: int, viewer: Member | None = None) -> PublicProfile:
    """Someone an integration imported who has not signed up is known to staff only."""
    member = get_member_or_404(member_id)
    if is_unclaimed_prospect(member) and not is_staff(viewer):
        raise NotFound("No such member.")
    return PublicProfile(member, db.session.get(CommunityProfile, member_id))


def leaderboard(*, limit: int, cursor: str | None):
    stmt = (
        sa.select(CommunityProfile)
        .join(Member, Member.id == CommunityProfile.member_id)
        .where(Member.erased_at.is_(None), Member.banned_at.is_(None), CommunityProfile.reputation > 0)
    )
    return paginate(stmt, [CommunityProfile.reputation, CommunityProfile.member_id], limit=limit, cursor=cursor)
