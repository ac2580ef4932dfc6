"""Helpers every community service shares: permissions, activities, set-based counters."""

from __future__ import annotations

import sqlalchemy as sa

from community.models import CommunityProfile
from core.accounts import services as accounts
from core.accounts.models import Member
from core.auth import has_role
from core.database import upsert_statement
from core.errors import Forbidden, NotFound
from core.extensions import db
from core.models import utcnow
from core.routing import MAX_ID
from core.signals import COMMUNITY, activity_recorded

BANNED_MESSAGE = "Your account is banned: you cannot post, reply, edit, react, recommend, share or flag."
BANNED_MODERATOR_MESSAGE = "Your account is banned: you cannot moderate."


def get_row(model, row_id: int):
    """db.session.get for an id that came from a request: None when absent or out of range (a
    larger id would make the database raise an overflow error, answered with a 500)."""
    return db.session.get(model, row_id) if 1 <= row_id <= MAX_ID else None


def get_member_or_404(member_id: int) -> Member:
    if not 1 <= member_id <= MAX_ID:
        raise NotFound("No such member.")
    return accounts.get_member(member_id)


def is_moderator(member: Member | None) -> bool:
    """A banned member is not a moderator for any purpose (seeing hidden content included)."""
    return member is not None and not member.is_banned and has_role(member, "moderator")


def ensure_moderator(actor: Member | None) -> None:
    """Moderator powers; None is the system itself (seed, CLI). Views check the role; this also checks the ban."""
    if actor is None:
        return
    if actor.is_banned:
        raise Forbidden(BANNED_MODERATOR_MESSAGE)
    if not is_moderator(actor):
        raise Forbidden("Requires one of the roles: moderator, admin.")


def ensure_can_contribute(member: Member) -> None:
    if member.is_banned:
        raise Forbidden(BANNED_MESSAGE)


def ensure_author_or_moderator(author_id: int, actor: Member) -> None:
    ensure_can_contribute(actor)  # banned: neither their own content nor, as a moderator, anyone's
    if actor.id != author_id and not is_moderator(actor):
        raise Forbidden("Only the author or a moderator may change this.")


def record_activity(member_id: int, activity_type: str, subject_type: str, subject_id: int, **properties) -> None:
    """Announce an activity inside the caller's transaction (leads writes its row in the same session)."""
    activity_recorded.send(
        COMMUNITY,
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
    stmt = upsert_statement(table).values(member_id=member_id, **deltas)
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
