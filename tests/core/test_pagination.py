"""Keyset pagination on any unique sort key, datetimes included."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core.accounts.models import Member
from core.errors import ValidationFailed
from core.pagination import decode_cursor, encode_cursor, paginate
from tests.factories import MemberFactory

START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("descending", [True, False])
def test_pages_by_datetime_and_id_visit_every_row_once_in_order(app_ctx, descending):
    # Two members share each timestamp, so the id tie-breaker matters.
    for n in range(9):
        MemberFactory(created_at=START + timedelta(minutes=n // 2))
    seen, cursor = [], None
    while True:
        rows, cursor = paginate(
            sa.select(Member), [Member.created_at, Member.id], limit=2, cursor=cursor, descending=descending
        )
        seen += [(m.created_at, m.id) for m in rows]
        if cursor is None:
            break
    assert len(seen) == 9 and len(set(seen)) == 9
    assert seen == sorted(seen, reverse=descending)


def test_cursor_round_trips_aware_datetimes(app_ctx):
    moment = START + timedelta(microseconds=123)
    cursor = encode_cursor([moment, 7])
    assert decode_cursor(cursor, [Member.created_at, Member.id]) == [moment, 7]


@pytest.mark.parametrize(
    "values",
    [
        ["yesterday", 1],
        [1],
        [True, 1],
        ["2026-01-01T00:00:00", 1],  # no time zone
        ["2026-01-01T00:00:00+00:00", 1e400],  # infinity
        ["2026-01-01T00:00:00+00:00", 1.5],
        ["2026-01-01T00:00:00+00:00", "1"],
        [5, 1],
    ],
)
def test_malformed_cursor_values_are_rejected(app_ctx, values):
    with pytest.raises(ValidationFailed) as raised:
        decode_cursor(encode_cursor(values), [Member.created_at, Member.id])
    assert "cursor" in raised.value.errors


def test_cursor_ids_too_large_for_the_database_are_rejected(app_ctx):
    with pytest.raises(ValidationFailed):
        decode_cursor(encode_cursor([START.isoformat(), 2**40]), [Member.created_at, Member.id])


def test_non_finite_floats_in_cursors_are_rejected(app_ctx):
    score = sa.Column("score", sa.Float)
    for raw in ("[1e400]", "[NaN]", "[-Infinity]"):
        cursor = base64.urlsafe_b64encode(raw.encode()).decode()
        with pytest.raises(ValidationFailed):
            decode_cursor(cursor, [score])
