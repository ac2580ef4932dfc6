"""How members were discovered, read set-based for other packages (the customer journey): the first
touch of each referred signup, and when a member's own referrals first converted. Flagged (likely
fraudulent) conversions count for neither, as they earn no credit."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from core.extensions import db
from referrals.models import Campaign, Conversion, Touch


def first_touches(member_ids: list[int]) -> dict[int, dict]:
    """{member_id: {occurred_at, channel, referrer_id, campaign_id, campaign_name}} of the first touch
    that led to each member's signup (channel: link, campaign, share or code)."""
    if not member_ids:
        return {}
    stmt = (
        sa.select(
            Conversion.member_id,
            Touch.occurred_at,
            Touch.channel,
            Touch.referrer_id,
            Touch.campaign_id,
            Campaign.name.label("campaign_name"),
        )
        .join(Touch, Touch.conversion_id == Conversion.id)
        .outerjoin(Campaign, Campaign.id == Touch.campaign_id)
        .where(
            Conversion.member_id.in_(member_ids),
            Conversion.kind == "signup",
            Conversion.flagged.is_(False),
            Touch.position == 0,
        )
    )
    return {row.member_id: dict(row._mapping) for row in db.session.execute(stmt)}


def referrals_converted_at(member_ids: list[int]) -> dict[int, datetime]:
    """{referrer_id: when someone they referred first signed up}, for these referrers."""
    if not member_ids:
        return {}
    stmt = (
        sa.select(Conversion.referred_by_id, sa.func.min(Conversion.occurred_at))
        .where(
            Conversion.referred_by_id.in_(member_ids),
            Conversion.kind == "signup",
            Conversion.flagged.is_(False),
        )
        .group_by(Conversion.referred_by_id)
    )
    return dict(db.session.execute(stmt).all())


def campaign_names(campaign_ids: list[int]) -> dict[int, str]:
    if not campaign_ids:
        return {}
    rows = db.session.execute(sa.select(Campaign.id, Campaign.name).where(Campaign.id.in_(campaign_ids)))
    return dict(rows.all())
