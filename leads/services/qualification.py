"""Stage moves scoring causes: member → engaged → mql (the lead), for any number of members at once,
and closed leads recycled when they qualify again. (The moves sales makes are leads.services.stages.)

Only members whose stage changes are visited, and those as sets: one UPDATE per stage reached,
one INSERT for the new leads and one for their history, referral conversions recorded in bulk;
each new lead is assigned by the rules and lead.qualified fires for it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import defaultload, joinedload

from core.accounts.models import Member
from core.extensions import db
from core.models import utcnow
from leads.models import Lead, LeadStageChange, MemberScore, ScoringRules
from leads.services import assignment, stages
from leads.services.announcements import lead_qualified
from leads.services.common import insert_new_rows
from referrals.services import conversions

logger = logging.getLogger(__name__)
QUALIFIED = "Crossed the MQL threshold"


@dataclass(frozen=True)
class Standing:
    """A member's current score and stage, as the statement that changed the score returned them."""

    member_id: int
    member_type: str
    score: float
    stage: str
    # The highest score a positive activity left (None: none rose) and since when a closed lead may recycle.
    risen_to: float | None = None
    recyclable_since: datetime | None = None


def advance_stages(standings: list[Standing], rules: ScoringRules) -> None:
    """Stages only move forward here; employees never become leads."""
    thresholds = rules.config["thresholds"]
    now = utcnow()
    engaged = [s.member_id for s in standings if s.stage == "member" and s.score >= thresholds["engaged"]]
    if engaged:
        set_member_stages(engaged, "engaged")
        conversions.record_conversions(engaged, "engaged", now)
    reached = {s.member_id for s in standings if s.stage == "engaged"} | set(engaged)
    qualifying = [
        s.member_id
        for s in standings
        if s.member_id in reached and s.score >= thresholds["mql"] and s.member_type != "employee"
    ]
    if qualifying:
        qualify(qualifying, now)
    for standing in standings:
        if standing.risen_to is not None and standing.risen_to >= thresholds["mql"]:
            requalify(standing.member_id, standing.recyclable_since, now)


def requalify(member_id: int, recyclable_since: datetime | None, now: datetime) -> None:
    """A positive activity left a closed (lost, disqualified) lead over the MQL threshold long enough
    after it was closed: it is recycled to mql and assigned again."""
    if stages.due_for_recycling(recyclable_since, now):
        lead = stages.recycle(member_id, now)
        if lead is not None:
            assignment.assign_new_lead(lead)


def set_member_stages(member_ids: list[int], stage: str) -> None:
    db.session.execute(
        sa.update(MemberScore)
        .where(MemberScore.member_id.in_(member_ids))
        .values(stage=stage)
        .execution_options(synchronize_session=False)
    )


def qualify(member_ids: list[int], now) -> list[Lead]:
    """Crossing MQL: each member's lead is created (once) and lead.qualified fires for the new ones."""
    rows = [
        {"member_id": m, "stage": "mql", "created_at": now, "updated_at": now, "qualified_at": now}
        for m in sorted(member_ids)
    ]
    set_member_stages(member_ids, "lead")
    new_ids = [lead_id for (lead_id,) in insert_new_rows(Lead.__table__, rows, Lead.id)]
    if not new_ids:
        return []
    # Roles are not what an announcement needs, on either path to the member (the score's member is
    # the lead's own, found in the session without a statement).
    stmt = (
        sa.select(Lead)
        .where(Lead.id.in_(new_ids))
        .options(joinedload(Lead.member).lazyload(Member.roles), defaultload(Lead.score).lazyload(MemberScore.member))
    )
    leads = list(db.session.scalars(stmt.order_by(Lead.id)))
    conversions.record_conversions([lead.member_id for lead in leads], "lead", now)
    moves = [
        {"lead_id": lead.id, "from_stage": None, "to_stage": "mql", "by_id": None, "at": now, "reason": QUALIFIED}
        for lead in leads
    ]
    db.session.execute(sa.insert(LeadStageChange), moves)
    assignment.assign_new_leads(leads)
    app = current_app._get_current_object()
    for lead in leads:
        lead_qualified.send(app, lead=lead)
        logger.info("member %s qualified as lead %s", lead.member_id, lead.id)
    return leads
