"""Background work of journey (Celery shared tasks): thin, ids not objects, safe to run twice."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from celery import shared_task

from core.extensions import db
from journey.services import health, stages
from journey.services.rules import RECOMPUTE_HEALTH_TASK

logger = logging.getLogger(__name__)
REFRESH_JOURNEYS_TASK = "journey.refresh_journeys"  # nightly, by the beat schedule (config.py)
BATCH = 500


@shared_task(
    name=stages.REFRESH_MEMBER_TASK, autoretry_for=(sa.exc.OperationalError,), retry_backoff=True, max_retries=5
)
def refresh_member(member_id: int, converted_at: str | None = None) -> None:
    """A member's journey and health after something happened to them."""
    stages.refresh_member(member_id, datetime.fromisoformat(converted_at) if converted_at else None)
    health.refresh_health(member_id)
    db.session.commit()


@shared_task(name=RECOMPUTE_HEALTH_TASK, autoretry_for=(sa.exc.OperationalError,), retry_backoff=True, max_retries=3)
def recompute_health() -> int:
    """Every customer's health (nightly, and after the rules change), committed batch by batch."""
    moved = 0
    for batch in health.customer_batches(BATCH):
        moved += health.update_batch(batch)
        db.session.commit()
    health.forget_former_customers()
    db.session.commit()
    logger.info("customer health recomputed: %s customers newly at risk", moved)
    return moved


@shared_task(name=REFRESH_JOURNEYS_TASK, autoretry_for=(sa.exc.OperationalError,), retry_backoff=True, max_retries=3)
def refresh_journeys() -> None:
    """Every member's journey (nightly): catches what no signal told, e.g. prospects made by identify."""
    for batch in stages.member_batches(BATCH):
        stages.refresh_journeys(batch)
        db.session.commit()
