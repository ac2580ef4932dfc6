"""Enqueueing that waits for the commit: the one seam between a transaction and the task queue.

Services name the task they want (its registered name, a constant of the service) and never
import a tasks module, so tasks can import services without an import circle.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, SessionTransaction

from core.extensions import db

PENDING_KEY = "peerloop_pending_tasks"


def enqueue_after_commit(task_name: str, *args, **kwargs) -> None:
    """Send the task registered as `task_name` only once the current transaction commits; drop it
    on rollback. A worker (or the in-process eager mode) must never see ids the database has not
    committed yet."""
    session = db.session()
    # The savepoint it was asked for in, if any: rolling that savepoint back drops the task.
    savepoint = session.get_nested_transaction()
    session.info.setdefault(PENDING_KEY, []).append((savepoint, task_name, args, kwargs))


def enqueue_once_after_commit(task_name: str, *args, **kwargs) -> None:
    """enqueue_after_commit, unless the very same call is already waiting for this commit: for work
    that only needs doing once however often a transaction asks (e.g. refresh member 7)."""
    session = db.session()
    waiting = (session.get_nested_transaction(), task_name, args, kwargs)
    if waiting not in session.info.get(PENDING_KEY, []):
        session.info.setdefault(PENDING_KEY, []).append(waiting)


def within(savepoint: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while savepoint is not None:
        if savepoint is ended:
            return True
        savepoint = savepoint.parent
    return False


@sa.event.listens_for(Session, "after_commit")
def send_pending_tasks(session: Session) -> None:
    # SQLAlchemy also calls this when a SAVEPOINT is released; the tasks wait for the real commit.
    if session.in_nested_transaction():
        return
    celery_app = current_app.extensions["celery"] if PENDING_KEY in session.info else None
    for _, task_name, args, kwargs in session.info.pop(PENDING_KEY, []):
        # A signature by name runs through the registered task, so eager mode still runs it in-process.
        celery_app.signature(task_name, args=args, kwargs=kwargs).apply_async()


@sa.event.listens_for(Session, "after_rollback")
def drop_pending_tasks(session: Session) -> None:
    """A rolled-back SAVEPOINT drops only the tasks asked for inside it; a full rollback drops them all."""
    ended = session.get_nested_transaction()
    if ended is None:
        session.info.pop(PENDING_KEY, None)
        return
    pending = session.info.get(PENDING_KEY, [])
    pending[:] = [task for task in pending if not within(task[0], ended)]
