"""Background work of referrals (Celery shared tasks)."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from celery import shared_task
from flask import current_app

from core.extensions import db
from core.models import utcnow
from referrals.services import draining, privacy
from referrals.services.conversions import window_days

logger = logging.getLogger(__name__)


@shared_task(
    name="referrals.purge_old_clicks", autoretry_for=(sa.exc.OperationalError,), retry_backoff=True, max_retries=5
)
def purge_old_clicks() -> int:
    """Delete clicks older than REFERRAL_CLICK_RETENTION_DAYS (idempotent: run it daily, or twice)."""
    # Never shorter than the attribution window: signups still to come need those clicks.
    days = max(current_app.config["REFERRAL_CLICK_RETENTION_DAYS"], window_days() + 1)
    deleted = privacy.purge_clicks(before=utcnow() - timedelta(days=days))
    db.session.commit()
    logger.info("purged %s referral clicks older than %s days", deleted, days)
    return deleted


@shared_task(
    name="referrals.drain_click_spool", autoretry_for=(sa.exc.OperationalError,), retry_backoff=True, max_retries=5
)
def drain_click_spool() -> int:
    """Store the click spool of the host this worker runs on (web processes drain their own host's
    spool themselves; this is for hosts whose drainer thread is off). Safe to run at any time."""
    stored = draining.drain_spool()
    logger.info("stored %s spooled clicks", stored)
    return stored
