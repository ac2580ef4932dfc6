"""Which leads closed, when, and how: the one question the closed-loop reports ask of sales."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

from leads.models import Lead

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
    [start, end). Until stage moves keep a history, a closed lead's last update is its closing
    time and its creation the moment it became MQL."""
    closed_at, mql_at = Lead.updated_at, Lead.created_at
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
