"""Retention cohorts: members by the month they joined, and the share of each cohort active in each
month since (a member is active in a month when they did something then, by the activity ledger)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from core.accounts.models import PROSPECT, Member
from core.extensions import db
from core.models import utcnow
from core.reporting import month_key, month_number, rounded
from journey.services.health_signals import NOT_THEIR_DOING
from leads.services import history

# Who a cohort is made of: people who joined the community, not staff nor profiles an integration made.
NOT_IN_COHORTS = (PROSPECT, "employee")


def cohort_members(start: datetime | None, end: datetime | None) -> dict[str, list[int]]:
    stmt = sa.select(Member.id, Member.created_at).where(Member.member_type.not_in(NOT_IN_COHORTS))
    if start is not None:
        stmt = stmt.where(Member.created_at >= start)
    if end is not None:
        stmt = stmt.where(Member.created_at < end)
    cohorts: dict[str, list[int]] = {}
    for member_id, joined in db.session.execute(stmt):
        cohorts.setdefault(month_key(joined), []).append(member_id)
    return cohorts


def active_by_member(since: datetime) -> dict[int, set[int]]:
    """{member_id: month numbers in which they did something}, since `since`."""
    found: dict[int, set[int]] = {}
    for member_id, month in history.active_months(start=since, end=None, excluded_types=NOT_THEIR_DOING):
        found.setdefault(member_id, set()).add(month_number(month))
    return found


def cohort_row(cohort: str, member_ids: list[int], active: dict[int, set[int]], last: int) -> dict:
    first = month_number(cohort)
    counts = [0] * (last - first + 1)
    for member_id in member_ids:
        for month in active.get(member_id, ()):
            if first <= month <= last:
                counts[month - first] += 1
    shares = [rounded(count / len(member_ids), 4) for count in counts]
    return {"cohort": cohort, "members": len(member_ids), "active": shares}


def retention_cohorts(*, period: str = "month", start=None, end=None) -> dict:
    """{items: [{cohort, members, active: [share active in month 0, 1, ... up to this month]}]}, oldest
    cohort first; `from`/`to` bound when the members joined."""
    cohorts = cohort_members(start, end)
    if not cohorts:
        return {"period": period, "from": start, "to": end, "items": []}
    last = month_number(month_key(utcnow()))
    active = active_by_member(datetime.fromisoformat(f"{min(cohorts)}-01T00:00:00+00:00"))
    items = [cohort_row(cohort, cohorts[cohort], active, last) for cohort in sorted(cohorts)]
    return {"period": period, "from": start, "to": end, "items": items}
