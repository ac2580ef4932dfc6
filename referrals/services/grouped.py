"""Clicks, unique visitors and credit per group key over any time range, exactly as the raw rows say:
whole UTC days from the rollups, the partial days at either end (if they hold rows) from raw rows.

Unique visitors: the rollups count, for whole days [first, last), the visitors of rows whose
prev_day < first; a visitor of a partial day counts unless they also clicked, under the same key,
on one of those whole days (one index probe each).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from core.extensions import db
from referrals.models import NO_DAY, Click, ClickRollup, Conversion, Credit, CreditRollup, Touch
from referrals.services.rollups import (
    CREDIT_MEASURES,
    CREDITED,
    credited_measures,
    days_between,
    dimension_key,
    key_value,
)

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Span:
    """A time range as whole days [first, last) read from rollups, and partial edges read raw."""

    days: tuple[date, date] | None
    edges: tuple[tuple[datetime, datetime], ...]


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def floor_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def ceil_day(moment: datetime) -> date:
    day = floor_day(moment)
    return day if midnight(day) == moment else day + ONE_DAY


def split(start: datetime, end: datetime, has_rows) -> Span:
    """Partial days without rows outside the range are read as whole days (e.g. `to` = now)."""
    lo, hi = midnight(floor_day(start)), midnight(ceil_day(end))
    if lo < start and not has_rows(lo, start):
        start = lo
    if end < hi and not has_rows(end, hi):
        end = hi
    first, last = ceil_day(start), floor_day(end)
    if first >= last:
        return Span(None, ((start, end),))
    edges = tuple((a, b) for a, b in ((start, midnight(first)), (midnight(last), end)) if a < b)
    return Span((first, last), edges)


def read(stmt) -> list:
    """Rows as the driver gives them: the ORM's result processing costs more than the read itself here."""
    return db.session.connection().execute(stmt).all()


def read_one(stmt):
    return db.session.connection().execute(stmt).scalar()


def grouping(dimension: str, *columns) -> tuple:
    """GROUP BY columns of a raw read: none for "all", whose key is a constant (which SQL refuses there)."""
    return () if dimension == "all" else columns


def within(column, intervals) -> sa.ColumnElement:
    return sa.or_(*(sa.and_(column >= a, column < b) for a, b in intervals))


def clicks_exist(a: datetime, b: datetime) -> bool:
    stmt = sa.select(Click.id).where(Click.occurred_at >= a, Click.occurred_at < b).limit(1)
    return read_one(stmt) is not None


def conversions_exist(a: datetime, b: datetime) -> bool:
    stmt = sa.select(Conversion.id).where(
        Conversion.kind.in_(CREDITED), Conversion.occurred_at >= a, Conversion.occurred_at < b
    )
    return read_one(stmt.limit(1)) is not None


def click_counts(dimension: str, start: datetime, end: datetime) -> dict:
    """{key: [clicks, unique visitors]} of the clicks in [start, end)."""
    span = split(start, end, clicks_exist)
    counts: dict = defaultdict(lambda: [0, 0])
    if span.days:
        rows = read(rolled_up_clicks(dimension, *span.days))
        counts.update((key if has_key else None, [int(c), int(v)]) for key, has_key, c, v in rows)
    if span.edges:
        for key, has_key, clicks in read(raw_clicks(dimension, span.edges)):
            add(counts, key_value(key, has_key), clicks, 0)
        for key, has_key, visitors in read(raw_visitors(dimension, span)):
            add(counts, key_value(key, has_key), 0, visitors)
    return counts


def add(counts: dict, key, *values) -> None:
    row = counts[key]
    for i, value in enumerate(values):
        row[i] += int(value or 0)


def blocks(first: date, last: date) -> list[tuple[int, date, date]]:
    """Whole days [first, last) as rollup rows to read: (span, from, to), whole ISO weeks as week rows."""
    monday, last_monday = first + timedelta(days=-first.weekday() % 7), last - timedelta(days=last.weekday())
    if monday >= last_monday:
        return [(1, first, last)]
    return [b for b in ((1, first, monday), (7, monday, last_monday), (1, last_monday, last)) if b[1] < b[2]]


def rolled_up(table, columns, first: date, last: date, *where) -> sa.Subquery:
    """The rollup rows of whole days [first, last), one index range per span (index-only scans)."""
    return sa.union_all(
        *(
            sa.select(table.key, table.has_key, *columns).where(
                *where, table.span == span, table.day >= a, table.day < b
            )
            for span, a, b in blocks(first, last)
        )
    ).subquery("cells")


def rolled_up_clicks(dimension: str, first: date, last: date) -> sa.Select:
    r = ClickRollup
    visitors = sa.case((r.prev_day < first, r.visitors), else_=0).label("visitors")
    cells = rolled_up(r, (r.clicks, visitors), first, last, r.dimension == dimension)
    return sa.select(cells.c.key, cells.c.has_key, sa.func.sum(cells.c.clicks), sa.func.sum(cells.c.visitors)).group_by(
        cells.c.key, cells.c.has_key
    )


def raw_clicks(dimension: str, intervals) -> sa.Select:
    clicks = Click.__table__
    key, has_key = dimension_key(dimension, clicks)
    return (
        sa.select(key, has_key, sa.func.sum(clicks.c.hits))
        .where(within(clicks.c.occurred_at, intervals))
        .group_by(*grouping(dimension, key, has_key))
    )


def raw_visitors(dimension: str, span: Span) -> sa.Select:
    """Visitors of the partial days, per key, who did not click under that key on the whole days."""
    clicks = Click.__table__
    key, has_key = dimension_key(dimension, clicks)
    pairs = (
        sa.select(key.label("key"), has_key.label("has_key"), clicks.c.visitor_id)
        .where(within(clicks.c.occurred_at, span.edges), clicks.c.visitor_id.is_not(None))
        .distinct()
        .subquery("pairs")
    )
    stmt = sa.select(pairs.c.key, pairs.c.has_key, sa.func.count()).group_by(pairs.c.key, pairs.c.has_key)
    if dimension == "all":  # one visitor, one pair
        stmt = sa.select(sa.literal_column("''"), sa.false(), sa.func.count(sa.distinct(pairs.c.visitor_id)))
    if span.days is None:
        return stmt
    seen = clicks.alias("seen")
    seen_key, seen_has_key = dimension_key(dimension, seen)
    on_whole_days = sa.select(seen.c.id).where(
        seen.c.visitor_id == pairs.c.visitor_id,
        seen.c.occurred_at >= midnight(span.days[0]),
        seen.c.occurred_at < midnight(span.days[1]),
        seen_key == pairs.c.key,
        seen_has_key == pairs.c.has_key,
    )
    return stmt.where(~sa.exists(on_whole_days))


def credit_sums(
    dimension: str, model: str, window_days: int, start: datetime, end: datetime, include_flagged: bool
) -> dict:
    """{key: [signups, leads, customers, revenue]} of stored credit (millionths; revenue in millionths of
    a minor unit) of conversions in [start, end)."""
    span = split(start, end, conversions_exist)
    sums: dict = defaultdict(lambda: [0] * len(CREDIT_MEASURES))
    if span.days:
        rows = read(rolled_up_credit(dimension, model, window_days, span.days, include_flagged))
        sums.update((key if has_key else None, [int(v or 0) for v in values]) for key, has_key, *values in rows)
    if span.edges:
        for key, has_key, *values in read(raw_credit(dimension, model, window_days, span.edges, include_flagged)):
            add(sums, key_value(key, has_key), *values)
    return sums


def rolled_up_credit(dimension: str, model: str, window_days: int, days, include_flagged: bool) -> sa.Select:
    r = CreditRollup
    where = [r.dimension == dimension, r.model == model, r.window_days == window_days]
    if not include_flagged:
        where.append(r.flagged.is_(False))
    cells = rolled_up(r, [getattr(r, c) for c in CREDIT_MEASURES], *days, *where)
    sums = (sa.func.sum(cells.c[c]) for c in CREDIT_MEASURES)
    return sa.select(cells.c.key, cells.c.has_key, *sums).group_by(cells.c.key, cells.c.has_key)


def raw_credit(dimension: str, model: str, window_days: int, intervals, include_flagged: bool) -> sa.Select:
    touches = Touch.__table__
    key, has_key = dimension_key(dimension, touches)
    shares = (sa.func.sum(term) for term in credited_measures())
    stmt = (
        sa.select(key, has_key, *shares)
        .select_from(Credit)
        .join(touches, touches.c.id == Credit.touch_id)
        .join(Conversion, Conversion.id == Credit.conversion_id)
        .where(Credit.model == model, Credit.window_days == window_days, Conversion.kind.in_(CREDITED))
        .where(within(Conversion.occurred_at, intervals))
        .group_by(*grouping(dimension, key, has_key))
    )
    return stmt if include_flagged else stmt.where(Conversion.flagged.is_(False))


def new_visitors(start: datetime, end: datetime) -> int:
    """Visitors whose first click ever is in [start, end)."""
    span = split(start, end, clicks_exist)
    total = 0
    if span.days:
        r = ClickRollup
        stmt = sa.select(sa.func.sum(r.visitors)).where(
            r.dimension == "all", r.span == 1, r.day >= span.days[0], r.day < span.days[1], r.prev_day == NO_DAY
        )
        total += int(read_one(stmt) or 0)
    seen = Click.__table__.alias("seen")
    for a, b in span.edges:
        earlier = sa.select(seen.c.id).where(seen.c.visitor_id == Click.visitor_id, seen.c.occurred_at < a)
        stmt = sa.select(sa.func.count(sa.distinct(Click.visitor_id))).where(
            Click.occurred_at >= a, Click.occurred_at < b, Click.visitor_id.is_not(None), ~sa.exists(earlier)
        )
        total += int(read_one(stmt) or 0)
    return total


def clicks_per_period(start: datetime, end: datetime, period_days: int) -> dict | None:
    """{period number: (clicks, referrers with clicks)} from the rollups, when every period starts at a
    UTC midnight and the range holds no partial day with clicks; None otherwise."""
    span = split(start, end, clicks_exist)
    if midnight(floor_day(start)) != start or span.edges or span.days is None:
        return None
    r = ClickRollup
    period = (days_between(sa.literal(span.days[0], sa.Date), r.day) // period_days).label("period")
    in_range = (r.span == 1, r.day >= span.days[0], r.day < span.days[1])
    clicks = read(sa.select(period, sa.func.sum(r.clicks)).where(r.dimension == "all", *in_range).group_by(period))
    sharers = dict(
        read(
            sa.select(period, sa.func.count(sa.distinct(r.key)))
            .where(r.dimension == "referrer", r.clicks > 0, *in_range)
            .group_by(period)
        )
    )
    return {int(n): (int(count), int(sharers.get(n, 0))) for n, count in clicks}
