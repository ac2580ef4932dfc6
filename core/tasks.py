"""Enqueueing that waits for the commit: the one seam between a transaction and the task queue.

Services name the task they want (its registered name, a constant of the service) and never
import a tasks module, so tasks can import services without an import circle.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from core.extensions import db

PENDING_KEY = "peerloop_pending_tasks"


def enqueue_after_commit(task_name: str, *args, **kwargs) -> None:
    """Send the task registered as `task_name` only once the current transaction commits; drop it
    on rollback. A worker (or the in-process eager mode) must never see ids the database has not
    committed yet."""
    db.session().info.setdefault(PENDING_KEY, []).append((task_name, args, kwargs))


@sa.event.listens_for(Session, "after_commit")
def send_pending_tasks(session: Session) -> None:
    celery_app = current_app.extensions["celery"] if PENDING_KEY in session.info else None
    for task_name, args, kwargs in session.info.pop(PENDING_KEY, []):
        # A signature by name runs through the registered task, so eager mode still runs it in-process.
        celery_app.signature(task_name, args=args, kwargs=kwargs).apply_async()


@sa.event.listens_for(Session, "after_rollback")
def drop_pending_tasks(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
