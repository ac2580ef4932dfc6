"""Batch inserts: one statement for many rows (one JSON parameter on PostgreSQL) stores every value
exactly as the rows gave it."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core.extensions import db
from leads.models import Activity
from leads.services.common import insert_new_rows
from leads.services.scoring import ledger_row
from tests.factories import MemberFactory

AWKWARD_TEXT = ['quote " and \\ backslash', "ünïcødé ✓ 𝄞", "line\nbreak\ttab", '{"json": [1]}', "'; DROP TABLE x; --"]


def test_many_rows_in_one_insert_keep_every_value_exactly(app_ctx):
    member = MemberFactory()
    start = datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC)
    rows = [
        ledger_row(
            member.id if n % 2 else None,
            f"type-{n}",
            start + timedelta(microseconds=n * 7919),
            source="events",
            message_id=f"m-{n}",
            properties={"text": text, "nested": {"list": [n, 1.5, None, True]}},
            user_id=text[:120],
            anonymous_id=None,
        )
        for n, text in enumerate(AWKWARD_TEXT)
    ]
    inserted = insert_new_rows(Activity.__table__, rows, Activity.message_id)
    assert sorted(message_id for (message_id,) in inserted) == [f"m-{n}" for n in range(len(rows))]
    stored = {a.message_id: a for a in db.session.scalars(sa.select(Activity)).all()}
    for row in rows:
        activity = stored[row["message_id"]]
        assert activity.occurred_at == row["occurred_at"]
        assert activity.occurred_days == row["occurred_days"]  # the same float, not a rounded one
        assert (activity.member_id, activity.user_id, activity.anonymous_id) == (
            row["member_id"],
            row["user_id"],
            None,
        )
        assert activity.properties == row["properties"]


def test_rows_already_stored_are_skipped_and_not_returned(app_ctx):
    at = datetime(2026, 1, 1, tzinfo=UTC)
    first = [ledger_row(None, "seen", at, source="events", message_id=f"m-{n}") for n in range(2)]
    insert_new_rows(Activity.__table__, first, Activity.message_id)
    again = [*first, ledger_row(None, "seen", at, source="events", message_id="m-2")]
    assert insert_new_rows(Activity.__table__, again, Activity.message_id) == [("m-2",)]


def test_a_naive_timestamp_is_refused_not_stored_in_some_zone(app_ctx):
    rows = [ledger_row(None, "t", datetime(2026, 1, 1, tzinfo=UTC), source="events") for _ in range(2)]
    rows[1]["occurred_at"] = datetime(2026, 1, 1)
    with pytest.raises((ValueError, sa.exc.StatementError)):
        insert_new_rows(Activity.__table__, rows, Activity.message_id)
