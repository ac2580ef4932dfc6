"""Background work of community (Celery shared tasks): thin, ids not objects, safe to run twice."""

from __future__ import annotations

import sqlalchemy as sa
from celery import shared_task

from core.extensions import db


@shared_task(
    name="community.reconcile_thread_counters",
    autoretry_for=(sa.exc.OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def reconcile_thread_counters(thread_id: int) -> None:
    """Recount a thread's replies and reactions from the rows (e.g. after a reacted-to reply is deleted)."""
    from community.services import reconcile_thread_counters as reconcile

    reconcile(thread_id)
    db.session.commit()
