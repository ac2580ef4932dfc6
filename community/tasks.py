"""Background work of community (Celery shared tasks): thin, ids not objects, safe to run twice."""

from __future__ import annotations

import sqlalchemy as sa
from celery import shared_task

from community.services import threads
from core.extensions import db


@shared_task(
    name=threads.RECONCILE_COUNTERS_TASK,
    autoretry_for=(sa.exc.OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def reconcile_thread_counters(thread_id: int) -> None:
    """Recount a thread's replies and reactions from the rows (e.g. after a reacted-to reply is deleted)."""
    threads.reconcile_thread_counters(thread_id)
    db.session.commit()
