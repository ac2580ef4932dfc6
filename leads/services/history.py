"""What the activity ledger and the leads say about members over time, read set-based for other
packages (the customer journey, health and retention): first and last activity, activity counts in a
window, active months, and won leads. `excluded_types` leaves out what happens *to* a member."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from core.extensions import db
from core.reporting import month_of
from leads.models import Activity, Lead


def of_members(member_ids: list[int], excluded_types: Iterable[str] = ()) -> list:
    conditions = [Activity.member_id.in_(member_ids)]
    return [*conditions, Activity.activity_type.not_in(list(excluded_types))] if excluded_types else conditions


def first_activity_at(member_ids: list[int], *, source: str | None = None) -> dict[int, datetime]:
    """{member_id: their first activity (from `source`, e.g. community, if given)}."""
    if not member_ids:
        return {}
    stmt = sa.select(Activity.member_id, sa.func.min(Activity.occurred_at)).where(*of_members(member_ids))
    if source is not None:
        stmt = stmt.where(Activity.source == source)
    return dict(db.session.execute(stmt.group_by(Activity.member_id)).all())


def last_activity_at(member_ids: list[int], *, excluded_types: Iterable[str] = ()) -> dict[int, datetime]:
    if not member_ids:
        return {}
    stmt = sa.select(Activity.member_id, sa.func.max(Activity.occurred_at)).where(
        *of_members(member_ids, excluded_types)
    )
    return dict(db.session.execute(stmt.group_by(Activity.member_id)).all())


def activity_counts(
    member_ids: list[int], *, start: datetime, end: datetime | None, excluded_types: Iterable[str] = ()
) -> dict[int, int]:
    """{member_id: activities in [start, end)} (end None: no upper bound; members without any are left out)."""
    if not member_ids:
        return {}
    stmt = sa.select(Activity.member_id, sa.func.count(Activity.id)).where(
        *of_members(member_ids, excluded_types), Activity.occurred_at >= start
    )
    if end is not None:
        stmt = stmt.where(Activity.occurred_at < end)
    return dict(db.session.execute(stmt.group_by(Activity.member_id)).all())


def active_months(*, start: datetime, end: datetime | None, excluded_types: Iterable[str] = ()) -> set[tuple]:
    """{(member_id, 'YYYY-MM')}: the calendar months (UTC) in which each member did something."""
    month = month_of(Activity.occurred_at)
    stmt = sa.select(Activity.member_id, month).where(Activity.member_id.is_not(None), Activity.occurred_at >= start)
    if end is not None:
        stmt = stmt.where(Activity.occurred_at < end)
    if excluded_types:
        stmt = stmt.where(Activity.activity_type.not_in(list(excluded_types)))
    return set(db.session.execute(stmt.distinct()).all())


def won_at(member_ids: list[int]) -> dict[int, datetime]:
    """{member_id: when their lead was won}, for those whose lead stands at won."""
    if not member_ids:
        return {}
    stmt = sa.select(Lead.member_id, Lead.updated_at).where(Lead.member_id.in_(member_ids), Lead.stage == "won")
    return dict(db.session.execute(stmt).all())


def won_member_ids() -> sa.Select:
    """The members whose lead is won, as a subquery to select from."""
    return sa.select(Lead.member_id).where(Lead.stage == "won")
