"""Background work of accounts (Celery shared tasks): thin, ids not objects, safe to run twice."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from celery import shared_task

from core.accounts import services
from core.extensions import db

logger = logging.getLogger(__name__)


@shared_task(
    name=services.ERASE_CONTENT_TASK, autoretry_for=(sa.exc.OperationalError,), retry_backoff=True, max_retries=5
)
def erase_member_content(member_id: int) -> None:
    """Let every domain anonymise what it holds about an erased member (may be many rows)."""
    if services.erase_member_content(member_id):
        db.session.commit()
        logger.info("erased content of member %s", member_id)
