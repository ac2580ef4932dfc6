"""Enqueueing that waits for the commit: the one seam between a transaction and the task queue.

Services name the task they want (its registered name, a constant of the service) and never
import a tasks module, so tasks can import services without an import circle.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from core.extensions import db
from core.outbox import services as outbox
from core.outbox.dispatch import hand_over
from core.outbox.models import OutboxTask

PENDING_KEY = "peerloop_outbox_rows"
COMMITTED_KEY = "peerloop_outbox_ids"


def enqueue_after_commit(task_name: str, *args, **kwargs) -> None:
    """Run the task registered as `task_name` once the current transaction commits; never on
    rollback. It is an outbox row written in this transaction, so the work is saved with the data
    it concerns even when the broker is down; it is sent after the commit, and swept up later if
    that fails. Arguments must be JSON-able ids, never personal data (they wait in a table);
    tasks must be safe to run twice."""
    row = outbox.add_task(task_name, args, kwargs)
    db.session().info.setdefault(PENDING_KEY, []).append(row)


def enqueue_later(task_name: str, *args, due_in: timedelta, **kwargs) -> None:
    """Run the task once `due_in` has passed, not sooner: an outbox row written in this transaction
    that the periodic sweep sends when due (nothing is sent after the commit). Unlike a broker's
    countdown, the wait survives the broker being down when it is asked for, or restarting empty
    before it is due."""
    outbox.add_task(task_name, args, kwargs, due_in=due_in)


def enqueue_once_after_commit(task_name: str, *args, **kwargs) -> None:
    """enqueue_after_commit, unless the very same call is already waiting for this commit: for work
    that only needs doing once however often a transaction asks (e.g. refresh member 7)."""
    if not any(same_call(row, task_name, args, kwargs) for row in pending_rows(db.session())):
        enqueue_after_commit(task_name, *args, **kwargs)


def pending_rows(session: Session) -> list[OutboxTask]:
    """The rows this transaction still holds: those of a rolled-back SAVEPOINT left the session."""
    return [row for row in session.info.get(PENDING_KEY, []) if row in session]


def same_call(row: OutboxTask, task_name: str, args: tuple, kwargs: dict) -> bool:
    return (row.task_name, row.args, row.kwargs) == (task_name, list(args), dict(kwargs))


# SQLAlchemy fires before_commit and after_commit when a SAVEPOINT is released too; the rows wait
# for the real (outermost) commit, so a worker never sees ids the database has not committed.
@sa.event.listens_for(Session, "before_commit")
def number_outbox_rows(session: Session) -> None:
    if session.in_nested_transaction():
        return
    rows = session.info.pop(PENDING_KEY, None)
    if rows:
        session.flush()  # the ids, known now: after the commit the session may not query
        session.info.setdefault(COMMITTED_KEY, []).extend(row.id for row in rows if row in session)


@sa.event.listens_for(Session, "after_commit")
def send_outbox_rows(session: Session) -> None:
    if session.in_nested_transaction():
        return
    row_ids = session.info.pop(COMMITTED_KEY, None)
    if row_ids:
        hand_over(current_app._get_current_object(), row_ids)


@sa.event.listens_for(Session, "after_rollback")
def forget_outbox_rows(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: its rows left the session, the others still commit (see above)
    session.info.pop(PENDING_KEY, None)
    session.info.pop(COMMITTED_KEY, None)
