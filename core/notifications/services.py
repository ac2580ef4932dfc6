"""Raising, listing and reading notifications. Functions flush, never commit: `notify` writes in the
transaction of the action it reports, so a notification exists exactly when its action does."""

from __future__ import annotations

import sqlalchemy as sa

from core.accounts.models import Member
from core.extensions import db
from core.models import utcnow
from core.notifications.models import KINDS, Notification
from core.pagination import paginate


def notify(
    member_id: int,
    kind: str,
    *,
    actor_id: int | None = None,
    subject_type: str | None = None,
    subject_id: int | None = None,
    data: dict | None = None,
) -> Notification | None:
    """Tell a member something happened. Nobody hears of their own action; erased members hear nothing."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if member_id == actor_id:
        return None
    member = db.session.get(Member, member_id)
    if member is None or member.erased_at is not None:
        return None
    notification = Notification(
        member_id=member_id,
        kind=kind,
        actor_id=actor_id,
        subject_type=subject_type,
        subject_id=subject_id,
        data=data or {},
    )
    db.session.add(notification)
    db.session.flush()
    return notification


def unread_count(member: Member) -> int:
    stmt = sa.select(sa.func.count(Notification.id)).where(
        Notification.member_id == member.id, Notification.read_at.is_(None)
    )
    return db.session.scalar(stmt)


def notification_page(member: Member, *, unread: bool, limit: int, cursor: str | None) -> dict:
    """A page of the member's notifications, newest first, and how many are unread in all."""
    stmt = sa.select(Notification).where(Notification.member_id == member.id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    items, next_cursor = paginate(stmt, [Notification.id], limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": next_cursor, "unread_count": unread_count(member)}


def mark_read(member: Member, ids: list[int]) -> dict:
    """Mark the member's own notifications among `ids` read (others' ids are ignored: nothing leaks)."""
    marked = db.session.execute(
        sa.update(Notification)
        .where(Notification.member_id == member.id, Notification.id.in_(ids), Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return {"marked": marked, "unread_count": unread_count(member)}


def erase_member(member_id: int) -> None:
    """What happened to a member is theirs: their notifications go with their account."""
    db.session.execute(sa.delete(Notification).where(Notification.member_id == member_id))


def export_member(member: Member) -> list[dict]:
    rows = db.session.scalars(
        sa.select(Notification).where(Notification.member_id == member.id).order_by(Notification.id)
    )
    return [
        {
            "kind": n.kind,
            "subject_type": n.subject_type,
            "subject_id": n.subject_id,
            "data": n.data,
            "created_at": n.created_at.isoformat(),
            "read_at": n.read_at.isoformat() if n.read_at else None,
        }
        for n in rows
    ]
