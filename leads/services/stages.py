"""A lead's stage moves: the moves sales may make, the history of every move (by a seller or automatic),
won deals' revenue, and recycling of closed leads that qualify again."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from core.errors import Conflict, ValidationFailed
from core.extensions import db
from core.models import utcnow
from core.pagination import paginate
from leads.models import (
    CLOSED_STAGES,
    REASON_FIELDS,
    RECYCLABLE_STAGES,
    STAGE_MOVES,
    Lead,
    LeadStageChange,
    MemberScore,
)
from leads.services.announcements import lead_requalified, lead_status_changed
from referrals.models import MINOR_UNITS
from referrals.services import conversions

# Any constant number: the key of the lock won deals take while they check the currency (PostgreSQL).
WON_DEAL_LOCK = 7_314_151_311


class StageMoveRefused(Conflict):
    """The lead's stage cannot move from where it is to where it was asked to go."""


class CurrencyMismatch(Conflict):
    """Revenue is kept in one currency: a deal in another is refused rather than summed with it."""


def check_move(lead: Lead, stage: str) -> None:
    if stage not in STAGE_MOVES.get(lead.stage, ()):
        allowed = ", ".join(STAGE_MOVES.get(lead.stage, ())) or "nothing (the lead is closed)"
        message = f"A lead cannot move from '{lead.stage}' to '{stage}'; from '{lead.stage}' it may move to {allowed}."
        raise StageMoveRefused(message, errors={"status": [message], "from": [lead.stage], "to": [stage]})


def check_details(stage: str, details: dict) -> None:
    """A lost or disqualified lead says why; a won one says for how much (and nothing else needs either)."""
    needed = REASON_FIELDS.get(stage)
    if needed and not (details.get(needed) or "").strip():
        raise ValidationFailed(f"Moving a lead to '{stage}' needs a {needed}.", field=needed)
    for field in set(REASON_FIELDS.values()) - {needed}:
        if details.get(field) is not None:
            raise ValidationFailed(f"{field} only goes with a move to '{field.split('_')[0]}'.", field=field)
    if stage == "won":
        for field in ("amount", "currency"):
            if details.get(field) is None:
                raise ValidationFailed("A won lead needs an amount and a currency.", field=field)
    elif details.get("amount") is not None or details.get("currency") is not None:
        field = "amount" if details.get("amount") is not None else "currency"
        raise ValidationFailed("amount and currency only go with a move to 'won'.", field=field)


def revenue_currency() -> str | None:
    return db.session.scalar(sa.select(Lead.currency).where(Lead.currency.is_not(None)).limit(1))


def check_currency(currency: str) -> None:
    """Won deals take turns until they commit (PostgreSQL; SQLite's writers always do), so two first
    deals in different currencies cannot both find none recorded."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(WON_DEAL_LOCK)))
    recorded = revenue_currency()
    if recorded is not None and recorded != currency:
        message = f"Revenue is recorded in {recorded}; a deal in {currency} would be summed with it. Convert it."
        raise CurrencyMismatch(message, field="currency")


def move_stage(lead: Lead, stage: str, actor_id: int | None, details: dict | None = None) -> None:
    """A seller's move: checked, with its reason (lost, disqualified) or deal (won), and written to history."""
    details = details or {}
    check_move(lead, stage)
    check_details(stage, details)
    if stage == "won":
        check_currency(details["currency"])
        lead.amount, lead.currency = details["amount"], details["currency"]
    reason = details.get(REASON_FIELDS.get(stage, ""))
    set_stage(lead, stage, actor_id, reason.strip() if reason else None)


def set_stage(lead: Lead, stage: str, actor_id: int | None, reason: str | None = None) -> None:
    """Move, record the move, and announce it (lead.status_changed); a won lead is a customer conversion."""
    previous, lead.stage = lead.stage, stage
    now = utcnow()
    lead.updated_at = now
    lead.closed_at = now if stage in CLOSED_STAGES else None
    mark_recyclable(lead.member_id, now if stage in RECYCLABLE_STAGES else None)
    record_move(lead.id, previous, stage, actor_id, reason, now)
    db.session.flush()
    if stage == "won":
        conversions.record_conversion(
            lead.member_id, "customer", now, revenue_minor=minor_units(lead.amount), currency=lead.currency
        )
    lead_status_changed.send(current_app._get_current_object(), lead=lead, previous=previous)


def mark_recyclable(member_id: int, since: datetime | None) -> None:
    db.session.execute(
        sa.update(MemberScore)
        .where(MemberScore.member_id == member_id)
        .values(recyclable_since=since)
        .execution_options(synchronize_session=False)
    )


def minor_units(amount: Decimal | None) -> int | None:
    return None if amount is None else int((Decimal(amount) * MINOR_UNITS).to_integral_value())


def record_move(
    lead_id: int, from_stage: str | None, to_stage: str, by_id: int | None, reason: str | None, at: datetime
) -> None:
    db.session.add(
        LeadStageChange(lead_id=lead_id, from_stage=from_stage, to_stage=to_stage, by_id=by_id, reason=reason, at=at)
    )


def list_history(lead: Lead, *, limit: int, cursor: str | None):
    """Every move of the lead, oldest first."""
    stmt = sa.select(LeadStageChange).where(LeadStageChange.lead_id == lead.id)
    return paginate(stmt, [LeadStageChange.id], limit=limit, cursor=cursor, descending=False)


def recycle_days() -> int:
    return current_app.config["LEAD_RECYCLE_DAYS"]


def due_for_recycling(recyclable_since: datetime | None, now: datetime) -> bool:
    return recyclable_since is not None and recyclable_since <= now - timedelta(days=recycle_days())


def recycle(member_id: int, now: datetime) -> Lead | None:
    """A lost or disqualified lead that qualifies again, once LEAD_RECYCLE_DAYS have passed since it was
    closed, is an MQL again: unclaimed, its SLA counting afresh, and lead.requalified fires."""
    lead = db.session.scalar(sa.select(Lead).where(Lead.member_id == member_id, Lead.stage.in_(RECYCLABLE_STAGES)))
    if lead is None:
        return None
    previous = lead.stage
    lead.stage, lead.owner_id, lead.claimed_at = "mql", None, None
    lead.qualified_at, lead.closed_at, lead.sla_breached_at, lead.updated_at = now, None, None, now
    mark_recyclable(member_id, None)
    record_move(lead.id, previous, "mql", None, "Qualified again after being closed", now)
    db.session.flush()
    app = current_app._get_current_object()
    lead_requalified.send(app, lead=lead, previous=previous)
    lead_status_changed.send(app, lead=lead, previous=previous)  # a stage move like any other, for its listeners
    return lead
