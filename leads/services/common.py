"""Small helpers the leads services share: the day arithmetic of scores, conflict-tolerant inserts."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from core.database import upsert_statement
from core.extensions import db

SECONDS_PER_DAY = 86400.0


def days_since_unix(moment: datetime) -> float:
    return moment.timestamp() / SECONDS_PER_DAY


def insert_ignoring_conflicts(table: sa.Table, values: dict | list[dict], returning=None):
    """INSERT ... ON CONFLICT DO NOTHING (one row, or several in the order given); returns the
    `returning` column's value of a single row, None on conflict."""
    stmt = upsert_statement(table).values(values).on_conflict_do_nothing()
    if returning is None:
        db.session.execute(stmt)
        return None
    return db.session.execute(stmt.returning(returning)).scalar()
