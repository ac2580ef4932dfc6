"""Small helpers the leads services share: conflict-tolerant inserts, other domains' contracts."""

from __future__ import annotations

import logging
from datetime import datetime
from importlib import import_module

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core.extensions import db

logger = logging.getLogger(__name__)
SECONDS_PER_DAY = 86400.0


def days_since_unix(moment: datetime) -> float:
    return moment.timestamp() / SECONDS_PER_DAY


def upsert_statement(table: sa.Table):
    """The dialect's INSERT, which knows ON CONFLICT (PostgreSQL and SQLite alike)."""
    return (postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite).insert(table)


def insert_ignoring_conflicts(table: sa.Table, values: dict | list[dict], returning=None):
    """INSERT ... ON CONFLICT DO NOTHING (one row, or several in the order given); returns the
    `returning` column's value of a single row, None on conflict."""
    stmt = upsert_statement(table).values(values).on_conflict_do_nothing()
    if returning is None:
        db.session.execute(stmt)
        return None
    return db.session.execute(stmt.returning(returning)).scalar()


def other_domain(module: str, function: str):
    """A contract function of community/referrals, or None while it has not landed yet."""
    try:
        return getattr(import_module(module), function)
    except (ImportError, AttributeError):
        logger.debug("%s.%s is not available", module, function)
        return None


def record_conversion(member_id: int, kind: str, occurred_at: datetime) -> None:
    record = other_domain("referrals.services", "record_conversion")
    if record is not None:
        record(member_id, kind, occurred_at)


def discovery_path(member_id: int) -> dict | None:
    find = other_domain("referrals.services", "discovery_path")
    return find(member_id) if find is not None else None


def product_names(product_ids: list[int]) -> dict[int, str]:
    names = other_domain("community.services", "product_names")
    return names(product_ids) if names is not None and product_ids else {}
