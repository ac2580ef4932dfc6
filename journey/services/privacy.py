"""What journey holds about a member: exported on request, anonymised on erasure."""

from __future__ import annotations

import sqlalchemy as sa

from core.accounts.models import Member
from core.extensions import db
from journey.models import STAGES, CustomerHealth, JourneyMember, StageEntry


def anonymise_member(member_id: int) -> None:
    """The judgement of a person goes; their stage moves stay as counts, unlinked from who referred them."""
    db.session.execute(sa.delete(CustomerHealth).where(CustomerHealth.member_id == member_id))
    db.session.execute(
        sa.update(JourneyMember).where(JourneyMember.member_id == member_id).values(referrer_id=None, campaign_id=None)
    )


def export_member(member: Member) -> dict:
    journey = db.session.get(JourneyMember, member.id)
    entries = db.session.scalars(sa.select(StageEntry).where(StageEntry.member_id == member.id))
    health = db.session.get(CustomerHealth, member.id)
    return {
        "stage": journey.stage if journey else None,
        "discovered_via": journey.channel if journey else None,
        "stages": [
            {"stage": e.stage, "entered_at": e.entered_at.isoformat()}
            for e in sorted(entries, key=lambda e: STAGES.index(e.stage))
        ],
        "health": {"health": health.health, "status": health.status, "reasons": health.reasons} if health else None,
    }
