from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.models import utcnow


class OutboxTask(db.Model):
    """A task to send once its transaction commits; pending until it reaches the broker (or ran
    in-process). A sweep takes rows whose `available_at` has passed and that are still unsent."""

    __tablename__ = "outbox_tasks"
    __table_args__ = (sa.Index("ix_outbox_tasks_pending", "sent_at", "available_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_name: Mapped[str] = mapped_column(sa.String(120))
    args: Mapped[list] = mapped_column(sa.JSON, default=list)
    kwargs: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Before this, a sweep leaves the row alone: the after-commit send (or a claim) has it.
    available_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(300))

    def __repr__(self) -> str:
        return f"<OutboxTask {self.id} {self.task_name}>"
