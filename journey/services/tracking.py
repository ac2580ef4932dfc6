"""What journey does when something happens: bring the member's journey and health up to date once the
action has committed (in a task), so every fact the other domains write in that transaction is there."""

from __future__ import annotations

from datetime import datetime

from core.tasks import enqueue_once_after_commit
from journey.services.stages import REFRESH_MEMBER_TASK


def schedule_refresh(member_id: int, converted_at: datetime | None = None) -> None:
    """`converted_at`: when the member was seen becoming a customer (the facts do not keep that time)."""
    enqueue_once_after_commit(REFRESH_MEMBER_TASK, member_id, converted_at.isoformat() if converted_at else None)
