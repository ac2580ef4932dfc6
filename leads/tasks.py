"""Background work of leads (Celery shared tasks): rescoring, webhook deliveries and the claim SLA check."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from core.extensions import db
from core.tasks import enqueue_later
from leads.services import assignment, webhooks
from leads.services import rescore as rescoring

logger = logging.getLogger(__name__)
MAX_DELIVERY_RETRIES = 8
RETRY_BASE_SECONDS = 2
RETRY_MAX_SECONDS = 3600


@shared_task(name=rescoring.RESCORE_TASK, autoretry_for=(sa.exc.OperationalError,), retry_backoff=True, max_retries=3)
def rescore(job_id: int) -> None:
    """Recompute every score under the job's rules, chunk by chunk, then swap them in at once."""
    job = rescoring.get_job(job_id)
    if job.status in ("succeeded", "superseded"):
        return  # ran already: safe to run twice
    try:
        for low, high in rescoring.plan_chunks(job):
            rescoring.rescore_chunk(job, low, high)
            db.session.commit()  # progress visible to GET /leads/scoring/jobs/<id>
        rescoring.finish_rescore(job)
        db.session.commit()
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        rescoring.fail_rescore(job_id, error.__class__.__name__)
        db.session.commit()
        raise


def backoff(retries: int) -> int:
    return min(RETRY_BASE_SECONDS * 2**retries, RETRY_MAX_SECONDS)


@shared_task(bind=True, name=webhooks.DELIVER_WEBHOOK_TASK)
def deliver_webhook(self, delivery_id: int, retry: int = 0) -> None:
    """One signed POST; on failure tried again after an exponential backoff, MAX_DELIVERY_RETRIES
    times (in-process mode: once, replayable). The next try is an outbox row committed with this
    attempt (core.tasks.enqueue_later), not a broker countdown, which a Redis restart would lose.
    Its queue and time limits are set in config (task_routes, task_annotations)."""
    final = self.request.is_eager or retry >= MAX_DELIVERY_RETRIES
    outgoing = webhooks.prepare_delivery(delivery_id)
    db.session.commit()  # no transaction (on SQLite, the write lock) held while a receiver answers
    if outgoing is None:
        return
    try:
        outcome = webhooks.send_delivery(outgoing)
    except SoftTimeLimitExceeded as exc:  # past the attempt's own deadline, e.g. a resolver that hangs
        outcome = webhooks.Outcome(None, webhooks.describe(exc), 0)
    if not webhooks.record_attempt(delivery_id, outcome, final=final):
        due_in = timedelta(seconds=backoff(retry))
        enqueue_later(webhooks.DELIVER_WEBHOOK_TASK, delivery_id, retry=retry + 1, due_in=due_in)
    db.session.commit()


@shared_task(name="leads.check_claim_sla")
def check_claim_sla() -> int:
    """Periodic (beat): announce leads nobody claimed in time, each once; batch by batch until none is left."""
    total = 0
    while True:
        breached = assignment.check_sla()
        db.session.commit()
        total += breached
        if breached < assignment.SLA_BATCH:
            return total
