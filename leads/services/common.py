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
    if returning is None:
        db.session.execute(upsert_statement(table).values(values).on_conflict_do_nothing())
        return None
    rows = insert_new_rows(table, values, returning)
    return rows[0][0] if rows else None


def insert_new_rows(table: sa.Table, rows: dict | list[dict], *returning) -> list[sa.Row]:
    """One INSERT ... ON CONFLICT DO NOTHING RETURNING: the `returning` columns of the rows that were
    new (in no promised order), rows that conflict (or repeat an earlier one) skipped. The rows are
    sent as parameters of one compiled (and cached) statement, as one multi-row VALUES."""
    stmt = upsert_statement(table).on_conflict_do_nothing().returning(*returning)
    return db.session.execute(stmt, rows if isinstance(rows, list) else [rows]).all()
