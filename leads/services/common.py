"""Small helpers the leads services share: conflict-tolerant inserts, other domains' contracts.

leads depends on community and referrals (never the other way), through their services only."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from community import services as community_services
from core.extensions import db
from referrals import services as referrals_services

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


def record_conversion(member_id: int, kind: str, occurred_at: datetime) -> None:
    referrals_services.record_conversion(member_id, kind, occurred_at)


def discovery_path(member_id: int) -> dict | None:
    return referrals_services.discovery_path(member_id)


def product_names(product_ids: list[int]) -> dict[int, str]:
    return community_services.product_names(product_ids) if product_ids else {}
