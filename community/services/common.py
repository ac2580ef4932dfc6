"""Helpers every community service shares: permissions, activities, set-based counters."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from community.models import CommunityProfile
from core.accounts.models import Member
from core.auth import has_role
from core.errors import Forbidden
from core.extensions import db
from core.models import utcnow
from core.signals import activity_recorded

BANNED_MESSAGE = "Your account is banned: you cannot post, reply, react, recommend or flag."


def dialect_insert(table: sa.Table):
    """INSERT with ON CONFLICT support on the two backends Peerloop runs on."""
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(table)


def is_moderator(member: Member | None) -> bool:
    return member is not None and has_role(member, "moderator")


def ensure_can_contribute(member: Member) -> None:
    if member.is_banned:
        raise Forbidden(BANNED_MESSAGE)


def ensure_author_or_moderator(author_id: int, actor: Member) -> None:
    if actor.id != author_id and not is_moderator(actor):
        raise Forbidden("Only the author or a moderator may change this.")
    if actor.id == author_id and not is_moderator(actor):
        ensure_can_contribute(actor)


def record_activity(member_id: int, activity_type: str, subject_type: str, subject_id: int, **properties) -> None:
    """Announce an activity inside the caller's transaction (leads writes its row in the same session)."""
    activity_recorded.send(
        "community",
        member_id=member_id,
        activity_type=activity_type,
        occurred_at=utcnow(),
        subject_type=subject_type,
        subject_id=subject_id,
        properties=properties,
    )


def bump_profile(member_id: int, **deltas: int) -> None:
    """Add `deltas` to a member's community counters in one upsert (exact under concurrency)."""
    table = CommunityProfile.__table__
    stmt = dialect_insert(table).values(member_id=member_id, **deltas)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.member_id], set_={name: table.c[name] + stmt.excluded[name] for name in deltas}
    )
    db.session.execute(stmt)


def increment(model, row_id: int, **deltas) -> None:
    """UPDATE model SET col = col + delta ... WHERE id = row_id: the database adds, never Python."""
    values = {getattr(model, name): getattr(model, name) + delta for name, delta in deltas.items()}
    db.session.execute(
        sa.update(model).where(model.id == row_id).values(values), execution_options={"synchronize_session": "fetch"}
    )
