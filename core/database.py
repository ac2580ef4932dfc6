"""Engine tuning that the embedded SQLite default needs to serve several workers, the dialect's
INSERT ... ON CONFLICT on the two backends Peerloop runs on, IN lists as arrays on PostgreSQL, and
reads kept for one transaction."""

import sqlite3

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from core.extensions import db


def upsert_statement(table: sa.Table, bind: sa.Connection | None = None):
    """The dialect's INSERT, which knows ON CONFLICT (PostgreSQL and SQLite alike), for the session's
    database or the connection given."""
    return dialect_insert(table, (bind or db.session.get_bind()).dialect.name)


def dialect_insert(table: sa.Table, dialect: str):
    """The INSERT of the dialect named (postgresql or sqlite), for statements built once."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def among(column, values: list):
    """column IN values: on PostgreSQL one array parameter (= ANY), whose SQL is the same whatever
    the count (an expanding IN renders and converts a placeholder per value on every execution)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


TRANSACTION_READS = "peerloop_transaction_reads"


def once_per_transaction(key: str, load):
    """`load()` at most once per transaction of the session: for a few rows that a batch reads again
    for every item (webhook subscriptions) and that seldom change. Forgotten when the transaction
    ends, and by `forget_transaction_read(key)` when the caller changes them."""
    reads = db.session.info.setdefault(TRANSACTION_READS, {})
    if key not in reads:
        reads[key] = load()
    return reads[key]


def forget_transaction_read(key: str) -> None:
    db.session.info.get(TRANSACTION_READS, {}).pop(key, None)


@sa.event.listens_for(orm.Session, "after_transaction_end")
def forget_transaction_reads(session, transaction):
    """When the transaction ends (commit or rollback) or a savepoint does, the next read sees what
    is there now; the inner steps of a flush end nothing."""
    if transaction.parent is None or transaction.nested:
        session.info.pop(TRANSACTION_READS, None)


@sa.event.listens_for(Engine, "connect")
def configure_sqlite(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy own transactions (pysqlite's implicit BEGIN breaks SAVEPOINT).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def tune_planner(app) -> None:
    """Set PostgreSQL's random_page_cost (DATABASE_RANDOM_PAGE_COST) on each new connection of the
    app's engine. Peerloop reads by index from a working set held in memory, and the server's
    default (4, priced for spinning disks) makes the planner scan a table of tens of thousands of
    rows rather than probe its index a hundred times: an ingestion batch's identity join and score
    update took about 5 and 10 ms that way, under 1 and 3 ms by index. PostgreSQL's documentation
    suggests lower values for SSDs. None keeps the server's setting."""
    cost = app.config.get("DATABASE_RANDOM_PAGE_COST")
    if cost is None:
        return
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        return
    statement = f"SET random_page_cost = {float(cost)!r}"

    @sa.event.listens_for(engine, "connect")
    def set_random_page_cost(dbapi_connection, connection_record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute(statement)
        dbapi_connection.commit()  # a session setting, kept only if its transaction commits


@sa.event.listens_for(Engine, "begin")
def begin_sqlite(connection):
    if connection.dialect.name == "sqlite":
        # IMMEDIATE takes the write lock up front, so concurrent gunicorn workers
        # wait on busy_timeout instead of failing when a reader upgrades to writer.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def refuse_destructive_downgrade(domain: str) -> None:
    """Called by the downgrade of a domain's first revision, which drops every table of the domain."""
    if not current_app.config["ALLOW_DESTRUCTIVE_DOWNGRADE"]:
        raise RuntimeError(
            f"Downgrading past the first {domain} revision drops every {domain} table and its data. "
            "Set PEERLOOP_ALLOW_DESTRUCTIVE_DOWNGRADE=1 to do it anyway."
        )
