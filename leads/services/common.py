"""Small helpers the leads services share: the day arithmetic of scores, conflict-tolerant inserts."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

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
    new (in no promised order), rows that conflict (or repeat an earlier one) skipped. On PostgreSQL
    several rows go as one array per column (INSERT ... SELECT FROM unnest(...)): a short statement
    that compiles and parses once whatever the count; elsewhere as one multi-row VALUES."""
    rows = rows if isinstance(rows, list) else [rows]
    stmt = upsert_statement(table)
    if len(rows) > 1 and db.session.get_bind().dialect.name == "postgresql":
        keys = list(rows[0])
        columns = [sa.literal([row[key] for row in rows], type_=ARRAY(table.c[key].type)) for key in keys]
        given = sa.func.unnest(*columns).table_valued(*keys).render_derived(name="given")
        select = sa.select(*[sa.cast(given.c[key], table.c[key].type) for key in keys])
        stmt = stmt.from_select(keys, select).on_conflict_do_nothing().returning(*returning)
        return db.session.execute(stmt).all()
    return db.session.execute(stmt.on_conflict_do_nothing().returning(*returning), rows).all()
