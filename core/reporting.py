"""What reports of every domain share: calendar months on both backends, and exact rounding."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from core.extensions import db
from core.models import utcnow

MAX_MONTHS = 1200  # a report's month axis never grows past a century, whatever the data says


def month_of(column):
    """The UTC calendar month of a timestamp column as 'YYYY-MM', in SQL (grouped by the database)."""
    if db.session.get_bind().dialect.name == "postgresql":
        # The session's TimeZone may be anything: convert to UTC before formatting.
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)  # SQLite stores these columns as UTC text


def month_key(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def month_number(key: str) -> int:
    """Months since year 0: 'YYYY-MM' keys become numbers that subtract."""
    year, month = key.split("-")
    return int(year) * 12 + int(month) - 1


def month_name(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    """Every month key from `first` to `last`, both included (at most MAX_MONTHS)."""
    start, end = month_number(first), month_number(last)
    return [month_name(n) for n in range(start, min(end, start + MAX_MONTHS - 1) + 1)]


def month_axis(found_keys, start: datetime | None, end: datetime | None) -> list[str]:
    """A report's months: from `start` (else the first month with data) to the month before `end`
    excludes (else this month), every month in between, so a chart has no silent gaps."""
    first = month_key(start) if start else min(found_keys, default=None)
    last = month_key(end - timedelta(microseconds=1)) if end else month_key(utcnow())
    if first is None or first > last:
        return []
    return months_between(first, last)


def rounded(value: float | Decimal, places: int = 2) -> float:
    """Half-up rounding (NPS -14.285 is -14.29, as people round), not Python's banker's rounding."""
    exact = value if isinstance(value, Decimal) else Decimal(str(value))
    return float(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def percent(part: int, whole: int) -> float | None:
    """100 · part / whole with 2 decimals; None when there is nothing to divide."""
    return rounded(Decimal(100 * part) / Decimal(whole)) if whole else None
