"""Daily rollups of clicks and credit, kept exact in the transactions that store clicks and credit.

Each statement here is the same grouped read whether it builds the rollups from scratch or
adjusts them for a few visitors or conversions, so the incremental rollups always equal a rebuild.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from referrals.models import GROUPS, NO_DAY, Click, ClickRollup, Conversion, Credit, CreditRollup, Touch

DIMENSIONS = ("all", *GROUPS)
KEY_COLUMNS = {"referrer": "referrer_id", "campaign": "campaign_id"}
CREDITED = {"signup": "signups", "lead": "leads", "customer": "customers"}
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


def insert_for(connection: sa.Connection, table: sa.Table):
    return (postgresql if connection.dialect.name == "postgresql" else sqlite).insert(table)


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


def click_contributions(where) -> sa.Select:
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
            for dimension in DIMENSIONS
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


def add_click_contributions(connection: sa.Connection, where, sign: int = 1) -> None:
    """Add (sign 1) or take away (sign -1) what the clicks matching `where` contribute."""
    rows = click_contributions(where).subquery("contributions")
    table = ClickRollup.__table__
    values = sa.select(*list(rows.c)[:5], rows.c.clicks * sign, rows.c.visitors * sign).where(sa.true())
    stmt = insert_for(connection, table).from_select(
        ["dimension", "day", "prev_day", "key", "has_key", "clicks", "visitors"], values
    )
    connection.execute(
        stmt.on_conflict_do_update(
            index_elements=list(table.primary_key.columns),
            set_={
                "clicks": table.c.clicks + stmt.excluded.clicks,
                "visitors": table.c.visitors + stmt.excluded.visitors,
            },
        )
    )


def credit_contributions(where) -> sa.Select:
    """Credit of the conversions matching `where`, per grouping, key, model, window, day and flag."""
    touches = Touch.__table__
    credited = [sa.case((Conversion.kind == kind, Credit.share), else_=0) for kind in CREDITED]
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
                *(share.label(column) for share, column in zip(credited, CREDITED.values(), strict=True)),
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
    return sa.select(*cell, *(sa.func.sum(expanded.c[c]) for c in CREDITED.values())).group_by(*cell).where(sa.true())


def add_credit(connection: sa.Connection, conversion_ids: Iterable[int] | None = None) -> None:
    """Add the stored credit of these conversions (all, when None) to the credit rollups."""
    where = sa.true() if conversion_ids is None else Credit.conversion_id.in_(list(conversion_ids))
    table = CreditRollup.__table__
    stmt = insert_for(connection, table).from_select(
        ["dimension", "model", "window_days", "day", "flagged", "key", "has_key", *CREDITED.values()],
        credit_contributions(where),
    )
    connection.execute(adding_on_conflict(stmt, table, CREDITED.values()))


def rebuild(connection: sa.Connection) -> None:
    """Both rollups from the stored clicks and credit (after a bulk load, or to check them)."""
    lock_click_store(connection)
    connection.execute(sa.delete(ClickRollup))
    connection.execute(sa.delete(CreditRollup))
    add_click_contributions(connection, sa.true())
    add_credit(connection)


def forget_clicks_before(connection: sa.Connection, day) -> None:
    """The click rollups after the clicks of the days before `day` were deleted: their days go, and a
    visitor's first day left has no previous day any more (as the remaining clicks say)."""
    table = ClickRollup.__table__
    stale = sa.and_(table.c.prev_day < day, table.c.prev_day > NO_DAY)
    cell = (table.c.dimension, table.c.day, table.c.key, table.c.has_key)
    moved = (
        sa.select(
            *cell[:2],
            sa.literal(NO_DAY, sa.Date),
            *cell[2:],
            sa.func.sum(table.c.clicks),
            sa.func.sum(table.c.visitors),
        )
        .where(stale, table.c.day >= day)
        .group_by(*cell)
    )
    stmt = insert_for(connection, table).from_select(
        ["dimension", "day", "prev_day", "key", "has_key", "clicks", "visitors"], moved
    )
    connection.execute(
        stmt.on_conflict_do_update(
            index_elements=list(table.primary_key.columns),
            set_={
                "clicks": table.c.clicks + stmt.excluded.clicks,
                "visitors": table.c.visitors + stmt.excluded.visitors,
            },
        )
    )
    connection.execute(sa.delete(table).where(sa.or_(table.c.day < day, stale)))
