"""Which leads closed, when, and how: the one question the closed-loop reports ask of sales."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

from leads.models import Lead, LeadStageChange

WON = ("won",)
CLOSED_LOST = ("lost", "disqualified")


class days_since_unix_sql(sa.sql.functions.GenericFunction):  # noqa: N801  (a SQL function's name)
    """A timestamp as days since the Unix epoch, the unit of `lead_activities.occurred_days`."""

    type = sa.Float()
    inherit_cache = True


@compiles(days_since_unix_sql, "postgresql")
def days_since_unix_postgresql(element, compiler, **kw):
    return f"(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) / 86400.0)"


@compiles(days_since_unix_sql)
def days_since_unix_sqlite(element, compiler, **kw):
    return f"(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5)"


def closed_leads(start: datetime | None = None, end: datetime | None = None) -> sa.Subquery:
    """lead_id, member_id, won, closed_at, mql_at (and both as days) of the leads closed in
    [start, end). The stage history dates both: the lead's last move into the stage it stands at,
    and its last move into mql (a recycled lead's latest cycle). A lead without history (made
    before it was kept) falls back to its last update and its creation."""
    closes = _last_move_into(Lead.stage)
    mqls = _last_move_into(sa.literal("mql"))
    closed_at = sa.func.coalesce(closes, Lead.updated_at)
    mql_at = sa.func.coalesce(mqls, Lead.created_at)
    stmt = sa.select(
        Lead.id.label("lead_id"),
        Lead.member_id.label("member_id"),
        Lead.stage.in_(WON).label("won"),
        closed_at.label("closed_at"),
        mql_at.label("mql_at"),
        days_since_unix_sql(closed_at).label("closed_days"),
        days_since_unix_sql(mql_at).label("mql_days"),
    ).where(Lead.stage.in_(WON + CLOSED_LOST))
    if start is not None:
        stmt = stmt.where(closed_at >= start)
    if end is not None:
        stmt = stmt.where(closed_at < end)
    return stmt.subquery("closed")


def _last_move_into(stage) -> sa.ScalarSelect:
    """When the lead last moved into `stage` (served by the history's (lead_id, id) index)."""
    return (
        sa.select(sa.func.max(LeadStageChange.at))
        .where(LeadStageChange.lead_id == Lead.id, LeadStageChange.to_stage == stage)
        .scalar_subquery()
    )
