"""The outbox sweep, a periodic job of `celery -A wsgi.celery_app worker --beat`."""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app

from core.outbox import dispatch

logger = logging.getLogger(__name__)
SWEEP_TASK = "core.sweep_outbox"  # named in config.beat_schedule


@shared_task(name=SWEEP_TASK, ignore_result=True)
def sweep_outbox() -> int:
    """Send what is still pending (the broker was down, or a process died before sending)."""
    swept = dispatch.sweep(current_app._get_current_object())
    if swept:
        logger.info("outbox sweep sent %s pending tasks", swept)
    return swept
