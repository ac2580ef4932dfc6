"""Outbox rows: written with the work that defers them, claimed before sending, marked once sent.
These flush but never commit; the dispatcher (core.outbox.dispatch) commits around the sending."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa

from core.extensions import db
from core.models import utcnow
from core.outbox.models import OutboxTask

# A new row waits this long for its after-commit send before a sweep may take it.
GRACE = timedelta(seconds=30)
# A claimed row is left alone this long: long enough to publish it, or to run it in-process.
CLAIM = timedelta(minutes=15)
BATCH = 100


class Claimed(NamedTuple):
    id: int
    task_name: str
    args: list
    kwargs: dict


def add_task(task_name: str, args: tuple, kwargs: dict, *, due_in: timedelta = GRACE) -> OutboxTask:
    """A row the sweep may take once `due_in` has passed (by default the after-commit send's grace)."""
    row = OutboxTask(task_name=task_name, args=list(args), kwargs=dict(kwargs), available_at=utcnow() + due_in)
    db.session.add(row)
    return row


def claim(ids: list[int] | None = None) -> list[Claimed]:
    """Take rows to send: the given ones if nobody has tried them yet (the after-commit send), or
    else up to BATCH rows that are due (the sweep). A claimed row is nobody else's until CLAIM has
    passed, so two senders never send one row twice."""
    now = utcnow()
    pending = OutboxTask.sent_at.is_(None)
    if ids is not None:
        wanted = sa.and_(pending, OutboxTask.id.in_(ids), OutboxTask.attempts == 0)
    else:
        due = sa.and_(pending, OutboxTask.available_at <= now)
        oldest = sa.select(OutboxTask.id).where(due).order_by(OutboxTask.id).limit(BATCH)
        wanted = sa.and_(due, OutboxTask.id.in_(oldest.scalar_subquery()))
    stmt = (
        sa.update(OutboxTask)
        .where(wanted)
        .values(attempts=OutboxTask.attempts + 1, available_at=now + CLAIM)
        .returning(OutboxTask.id, OutboxTask.task_name, OutboxTask.args, OutboxTask.kwargs)
        .execution_options(synchronize_session=False)
    )
    return sorted((Claimed(*row) for row in db.session.execute(stmt)), key=lambda row: row.id)


def mark_sent(row_id: int) -> None:
    """The row is sent: it keeps its name and times for a week, not its arguments (an erasure's
    carry the address being erased, which must not outlive the work)."""
    db.session.execute(
        sa.update(OutboxTask)
        .where(OutboxTask.id == row_id)
        .values(sent_at=utcnow(), last_error=None, args=[], kwargs={})
        .execution_options(synchronize_session=False)
    )


def release(row_ids: list[int], error: str) -> None:
    """Sending failed: the rows are due again at the next sweep."""
    db.session.execute(
        sa.update(OutboxTask)
        .where(OutboxTask.id.in_(row_ids), OutboxTask.sent_at.is_(None))
        .values(available_at=utcnow(), last_error=error[:300])
        .execution_options(synchronize_session=False)
    )


def purge_sent(before: datetime) -> int:
    """Forget rows sent before `before`; pending rows are never purged."""
    result = db.session.execute(
        sa.delete(OutboxTask).where(OutboxTask.sent_at < before).execution_options(synchronize_session=False)
    )
    return result.rowcount


def pending_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(OutboxTask.id)).where(OutboxTask.sent_at.is_(None)))
