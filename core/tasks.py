"""Background work of the accounts core, and enqueueing that waits for the commit."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from celery import shared_task
from flask import current_app
from sqlalchemy.orm import Session

from core.extensions import db
from core.models import utcnow
from core.signals import member_erased

logger = logging.getLogger(__name__)
PENDING_KEY = "peerloop_pending_tasks"


def enqueue_after_commit(task, *args, **kwargs) -> None:
    """Send `task` only once the current transaction commits; drop it on rollback.

    A worker (or the in-process eager mode) must never see ids the database
    has not committed yet.
    """
    db.session().info.setdefault(PENDING_KEY, []).append((task, args, kwargs))


@sa.event.listens_for(Session, "after_commit")
def send_pending_tasks(session: Session) -> None:
    for task, args, kwargs in session.info.pop(PENDING_KEY, []):
        task.apply_async(args=args, kwargs=kwargs)


@sa.event.listens_for(Session, "after_rollback")
def drop_pending_tasks(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


@shared_task(
    name="core.erase_member_content", autoretry_for=(sa.exc.OperationalError,), retry_backoff=True, max_retries=5
)
def erase_member_content(member_id: int) -> None:
    """Let every domain anonymise what it holds about an erased member (may be many rows)."""
    from core.accounts.models import Member

    member = db.session.get(Member, member_id)
    if member is None or member.content_erased_at is not None:
        return  # unknown or already done: safe to run twice
    member_erased.send(current_app._get_current_object(), member_id=member_id)
    member.content_erased_at = utcnow()
    db.session.commit()
    logger.info("erased content of member %s", member_id)
