"""Daily rollups of clicks and credit, kept exact in the transactions that store clicks and credit.

Each statement here is the same grouped read whether it builds the rollups from scratch or
adjusts them for a few visitors or conversions, so the incremental rollups always equal a rebuild.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from core.database import dialect_insert, upsert_statement
from referrals.models import GROUPS, NO_DAY, Click, ClickRollup, Conversion, Credit, CreditRollup, Touch

DIMENSIONS = ("all", *GROUPS)
KEY_COLUMNS = {"referrer": "referrer_id", "campaign": "campaign_id"}
CREDITED = {"signup": "signups", "lead": "leads", "customer": "customers"}
# What the credit rollups sum: credited conversions of each kind, then the revenue customers brought.
CREDIT_MEASURES = (*CREDITED.values(), "revenue")
# Any constant number: the key of the lock every writer of clicks and click rollups takes (PostgreSQL).
CLICK_STORE_LOCK = 7_314_151_202


class utc_day(FunctionElement):  # noqa: N801  (reads as the SQL function it renders)
    """The UTC calendar day of a timestamp, as a DATE."""

    type = sa.Date()
    inherit_cache = True


@compiles(utc_day, "postgresql")
def utc_day_postgresql(element, compiler, **kw):
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC') AS DATE)"


@compiles(utc_day)
def utc_day_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)})"  # SQLite stores UTC wall time


class week_start(FunctionElement):  # noqa: N801
    """The Monday of a DATE's ISO week."""

    type = sa.Date()
    inherit_cache = True


@compiles(week_start, "postgresql")
def week_start_postgresql(element, compiler, **kw):
    day = compiler.process(element.clauses, **kw)
    return f"({day} - CAST(EXTRACT(ISODOW FROM {day}) AS INTEGER) + 1)"


@compiles(week_start)
def week_start_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, 'weekday 0', '-6 days')"


class days_between(FunctionElement):  # noqa: N801
    """Whole days from the first DATE argument to the second."""

    type = sa.Integer()
    inherit_cache = True


@compiles(days_between, "postgresql")
def days_between_postgresql(element, compiler, **kw):
    first, second = (compiler.process(c, **kw) for c in element.clauses)
    return f"({second} - {first})"


@compiles(days_between)
def days_between_sqlite(element, compiler, **kw):
    first, second = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(julianday({second}) - julianday({first}) AS INTEGER)"


def dimension_key(dimension: str, table) -> tuple:
    """(key as text, whether there is one) of a click or touch row under a grouping."""
    if dimension == "all":
        return sa.literal_column("''", sa.String), sa.false()
    column = table.c[KEY_COLUMNS.get(dimension, dimension)]
    text = sa.cast(column, sa.String) if isinstance(column.type, sa.Integer) else column
    return sa.func.coalesce(text, sa.literal_column("''", sa.String)), column.is_not(None)


def key_value(key: str, has_key: bool) -> str | None:
    return key if has_key else None


def adding_on_conflict(stmt, table: sa.Table, columns):
    """An existing row gets the new values added to its own."""
    return stmt.on_conflict_do_update(
        index_elements=list(table.primary_key.columns), set_={c: table.c[c] + stmt.excluded[c] for c in columns}
    )


def lock_click_store(connection: sa.Connection) -> None:
    """Writers of clicks and click rollups take turns until they commit: each adjusts the rollups from
    the clicks it reads, which another one's uncommitted clicks would falsify. (SQLite's writers
    already take turns: every transaction begins IMMEDIATE.)"""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(CLICK_STORE_LOCK)))


def click_contributions(where, dimensions=DIMENSIONS) -> sa.Select:
    """What the clicks matching `where` add to the click rollups: per visitor and key, each day with
    clicks and the visitor's previous day with that key (among those clicks: pass whole visitors)."""
    clicks = Click.__table__
    expanded = sa.union_all(
        *(
            sa.select(
                sa.literal_column(f"'{dimension}'", sa.String).label("dimension"),
                key.label("key"),
                has_key.label("has_key"),
                clicks.c.visitor_id,
                utc_day(clicks.c.occurred_at).label("day"),
                clicks.c.hits,
            ).where(where)
            for dimension in dimensions
            for key, has_key in [dimension_key(dimension, clicks)]
        )
    ).subquery("expanded")
    pair = (expanded.c.dimension, expanded.c.key, expanded.c.has_key, expanded.c.visitor_id)
    pair_days = (
        sa.select(*pair, expanded.c.day, sa.func.sum(expanded.c.hits).label("clicks"))
        .group_by(*pair, expanded.c.day)
        .subquery("pair_days")
    )
    previous = sa.func.lag(pair_days.c.day).over(
        partition_by=(pair_days.c.dimension, pair_days.c.key, pair_days.c.has_key, pair_days.c.visitor_id),
        order_by=pair_days.c.day,
    )
    no_day = sa.literal(NO_DAY, sa.Date)
    seq = sa.select(
        pair_days,
        sa.case((pair_days.c.visitor_id.is_(None), no_day), else_=sa.func.coalesce(previous, no_day)).label("prev_day"),
    ).subquery("seq")
    cell = (seq.c.dimension, seq.c.day, seq.c.prev_day, seq.c.key, seq.c.has_key)
    return sa.select(
        *cell, sa.func.sum(seq.c.clicks).label("clicks"), sa.func.count(seq.c.visitor_id).label("visitors")
    ).group_by(*cell)


def add_click_contributions(connection: sa.Connection, where, sign: int = 1, dimensions=DIMENSIONS) -> None:
    """Add (sign 1) or take away (sign -1) what the clicks matching `where` contribute."""
    connection.execute(click_contributions_upsert(connection.dialect.name, where, sign, dimensions))


def click_contributions_upsert(dialect: str, where, sign: int = 1, dimensions=DIMENSIONS):
    """The statement that adds (or takes away) what the clicks matching `where` contribute; a `where`
    of bind parameters makes one statement that callers build once and execute with their values."""
    daily = click_contributions(where, dimensions).subquery("contributions")
    cell = [daily.c.dimension, daily.c.day, daily.c.prev_day, daily.c.key, daily.c.has_key]
    rows = with_weeks(daily, cell, [daily.c.clicks, daily.c.visitors], sign)
    table = ClickRollup.__table__
    columns = ["dimension", "span", "day", "prev_day", "key", "has_key", "clicks", "visitors"]
    stmt = dialect_insert(table, dialect).from_select(columns, rows)
    return adding_on_conflict(stmt, table, ("clicks", "visitors"))


def with_weeks(daily, cell: list, counts: list, sign: int = 1) -> sa.Select:
    """Rows of `daily` (whose second cell column is the day) as span 1, and summed per ISO week as span 7."""
    week = week_start(cell[1])
    days = sa.select(cell[0], sa.literal_column("1").label("span"), *cell[1:], *(c * sign for c in counts))
    weeks = sa.select(cell[0], sa.literal_column("7"), week, *cell[2:], *(sa.func.sum(c) * sign for c in counts))
    both = sa.union_all(days, weeks.group_by(cell[0], week, *cell[2:])).subquery("spans")
    return sa.select(both).where(sa.true())  # (SQLite's INSERT ... SELECT ... ON CONFLICT needs a WHERE)


def credited_measures() -> list:
    """What one credit row adds to each of CREDIT_MEASURES: rollups and raw reads sum the same terms."""
    shares = [sa.case((Conversion.kind == kind, Credit.share), else_=0) for kind in CREDITED]
    revenue = Credit.share * sa.func.coalesce(Conversion.revenue_minor, 0)
    return [*shares, sa.case((Conversion.kind == "customer", revenue), else_=0)]


def credit_contributions(where) -> sa.Select:
    """Credit of the conversions matching `where`, per grouping, key, model, window, day and flag."""
    touches = Touch.__table__
    expanded = sa.union_all(
        *(
            sa.select(
                sa.literal_column(f"'{dimension}'", sa.String).label("dimension"),
                Credit.model,
                Credit.window_days,
                utc_day(Conversion.occurred_at).label("day"),
                Conversion.flagged,
                key.label("key"),
                has_key.label("has_key"),
                *(term.label(column) for term, column in zip(credited_measures(), CREDIT_MEASURES, strict=True)),
            )
            .select_from(Credit)
            .join(touches, touches.c.id == Credit.touch_id)
            .join(Conversion, Conversion.id == Credit.conversion_id)
            .where(where)
            for dimension in GROUPS
            for key, has_key in [dimension_key(dimension, touches)]
        )
    ).subquery("expanded")
    cell = list(expanded.c)[:7]
    return sa.select(*cell, *(sa.func.sum(expanded.c[c]) for c in CREDIT_MEASURES)).group_by(*cell).where(sa.true())


def add_credit(connection: sa.Connection, conversion_ids: Iterable[int] | None = None) -> None:
    """Add the stored credit of these conversions (all, when None) to the credit rollups."""
    where = sa.true() if conversion_ids is None else Credit.conversion_id.in_(list(conversion_ids))
    daily = credit_contributions(where).subquery("contributions")
    columns = list(daily.c)
    cell = [columns[0], columns[3], *columns[1:3], *columns[4:7]]  # (dimension, day, model, window, ...)
    table = CreditRollup.__table__
    stmt = upsert_statement(table, connection).from_select(
        ["dimension", "span", "day", "model", "window_days", "flagged", "key", "has_key", *CREDIT_MEASURES],
        with_weeks(daily, cell, columns[7:]),
    )
    connection.execute(adding_on_conflict(stmt, table, CREDIT_MEASURES))


def rebuild(connection: sa.Connection) -> None:
    """Both rollups from the stored clicks and credit (after a bulk load, or to check them)."""
    lock_click_store(connection)
    if connection.dialect.name == "postgresql":  # sorts of millions of rows: in memory, not on disk
        connection.execute(sa.text("SET LOCAL work_mem = '256MB'"))
    connection.execute(sa.delete(ClickRollup))
    connection.execute(sa.delete(CreditRollup))
    for dimension in DIMENSIONS:  # one grouping at a time: one sort of the clicks each
        add_click_contributions(connection, sa.true(), dimensions=(dimension,))
    add_credit(connection)


def forget_clicks_before(connection: sa.Connection, day: date) -> None:
    """The click rollups after the clicks of the days before `day` were deleted: their rows go, a
    visitor's first day left has no previous day any more (as the remaining clicks say), and the
    week of `day` is summed again from the days it keeps."""
    table = ClickRollup.__table__
    monday = day - timedelta(days=day.weekday())
    stale = sa.and_(table.c.prev_day < day, table.c.prev_day > NO_DAY)
    cell = (table.c.dimension, table.c.span, table.c.day, table.c.key, table.c.has_key)
    moved = sa.select(*cell[:3], sa.literal(NO_DAY, sa.Date), *cell[3:], *sums(table)).where(stale, table.c.day >= day)
    insert_cells(connection, table, moved.group_by(*cell))
    connection.execute(
        sa.delete(table).where(
            sa.or_(
                stale, sa.and_(table.c.span == 1, table.c.day < day), sa.and_(table.c.span == 7, table.c.day <= monday)
            )
        )
    )
    kept = (table.c.dimension, table.c.prev_day, table.c.key, table.c.has_key)
    week = sa.select(kept[0], sa.literal(7), sa.literal(monday, sa.Date), *kept[1:], *sums(table)).where(
        table.c.span == 1, table.c.day >= day, table.c.day < monday + timedelta(days=7)
    )
    insert_cells(connection, table, week.group_by(*kept))


def sums(table: sa.Table) -> tuple:
    return sa.func.sum(table.c.clicks), sa.func.sum(table.c.visitors)


def insert_cells(connection: sa.Connection, table: sa.Table, rows: sa.Select) -> None:
    stmt = upsert_statement(table, connection).from_select(
        ["dimension", "span", "day", "prev_day", "key", "has_key", "clicks", "visitors"], rows
    )
    connection.execute(adding_on_conflict(stmt, table, ("clicks", "visitors")))
