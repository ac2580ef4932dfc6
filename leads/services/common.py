"""Small helpers the leads services share: the day arithmetic of scores, conflict-tolerant inserts."""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from core.database import upsert_statement
from core.extensions import db
from core.models import UTCDateTime

SECONDS_PER_DAY = 86400.0
UTC_DATETIME = UTCDateTime()


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
    new (in no promised order), rows that conflict (or repeat an earlier one) skipped."""
    rows = rows if isinstance(rows, list) else [rows]
    return db.session.execute(insert_rows(table, rows).on_conflict_do_nothing().returning(*returning)).all()


def insert_rows(table: sa.Table, rows: list[dict]):
    """The dialect's INSERT of `rows` (dicts with the same keys), for the caller to add ON CONFLICT to.
    On PostgreSQL several rows go as one JSON array (INSERT ... SELECT FROM json_to_recordset(...)):
    a short statement that compiles and parses once whatever the count, runs as one statement (an
    executemany runs one per row) and sends one parameter, which Python encodes in C (arrays of each
    column would be encoded element by element); elsewhere as one multi-row VALUES."""
    stmt = upsert_statement(table)
    if len(rows) > 1 and db.session.get_bind().dialect.name == "postgresql":
        keys = list(rows[0])
        given = given_rows(rows, {key: table.c[key].type for key in keys})
        return stmt.from_select(keys, sa.select(*(given.c[key] for key in keys)))
    return stmt.values(rows)


def given_rows(rows: list[dict], types: dict):
    """PostgreSQL: `rows` as a table named `given` with columns of `types`, sent as one JSON parameter
    (json_to_recordset reads the keys `types` names and ignores any other, so rows go as they are)."""
    encoded = json.dumps(rows, default=json_value, separators=(",", ":"))
    return (
        sa.func.json_to_recordset(sa.cast(sa.literal(encoded, sa.Text), postgresql.JSON))
        .table_valued(*(sa.column(key, type_) for key, type_ in types.items()))
        .render_derived(name="given", with_types=True)
    )


def json_value(value):
    """Timestamps as ISO 8601 in UTC, bound as UTCDateTime binds them (a naive one is refused)."""
    if isinstance(value, datetime):
        return UTC_DATETIME.process_bind_param(value, None).isoformat()
    raise TypeError(f"{type(value).__name__} cannot be sent as JSON")
