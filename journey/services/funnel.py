"""The journey funnel: members per stage by discovery channel, and how long each stage took to reach."""

from __future__ import annotations

import statistics

import sqlalchemy as sa

from core.extensions import db
from core.reporting import rounded
from journey.models import STAGES, JourneyMember, StageEntry

SECONDS_PER_DAY = 86400


def journey_funnel(*, discovered_via: str | None = None, start=None, end=None) -> dict:
    """{items: [{stage, members, rate_from_previous, median_days_from_discovery}]} for the members
    discovered in [from, to) (through `discovered_via`, if given). Every member who reached a stage
    passed all the stages before it, so each count includes the next one's."""
    stmt = sa.select(StageEntry.stage, StageEntry.entered_at, JourneyMember.discovered_at).join(
        JourneyMember, JourneyMember.member_id == StageEntry.member_id
    )
    if discovered_via is not None:
        stmt = stmt.where(JourneyMember.channel == discovered_via)
    if start is not None:
        stmt = stmt.where(JourneyMember.discovered_at >= start)
    if end is not None:
        stmt = stmt.where(JourneyMember.discovered_at < end)
    waits: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for stage, entered_at, discovered_at in db.session.execute(stmt):
        waits[stage].append((entered_at - discovered_at).total_seconds() / SECONDS_PER_DAY)
    items, previous = [], None
    for stage in STAGES:
        members = len(waits[stage])
        items.append(
            {
                "stage": stage,
                "members": members,
                "rate_from_previous": rounded(members / previous, 4) if previous else None,
                "median_days_from_discovery": rounded(statistics.median(waits[stage])) if members else None,
            }
        )
        previous = members
    return {"discovered_via": discovered_via, "from": start, "to": end, "items": items}
