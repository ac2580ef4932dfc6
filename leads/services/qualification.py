"""Stage moves scoring causes: member → engaged → mql (the lead), for any number of members at once,
and closed leads recycled when they qualify again. (The moves sales makes are leads.services.stages.)

Only members whose stage changes are visited, and those as sets: one UPDATE for the stages reached,
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
from core.database import among
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
    """Stages only move forward here; employees never become leads. Members reaching engaged and
    lead move in one UPDATE, and their referral conversions are recorded together."""
    thresholds = rules.config["thresholds"]
    now = utcnow()
    engaged = [s.member_id for s in standings if s.stage == "member" and s.score >= thresholds["engaged"]]
    reached = {s.member_id for s in standings if s.stage == "engaged"} | set(engaged)
    qualifying = [
        s.member_id
        for s in standings
        if s.member_id in reached and s.score >= thresholds["mql"] and s.member_type != "employee"
    ]
    set_member_stages({**dict.fromkeys(engaged, "engaged"), **dict.fromkeys(qualifying, "lead")})
    leads = create_leads(qualifying, now) if qualifying else []
    converted = {"engaged": engaged, "lead": [lead.member_id for lead in leads]}
    conversions.record_conversions_of_kinds({kind: ids for kind, ids in converted.items() if ids}, now)
    if leads:
        announce_new_leads(leads, now)
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


def set_member_stages(stage_of: dict[int, str]) -> None:
    """Each member's new stage (member id → stage), in one UPDATE."""
    if not stage_of:
        return
    stages_given = set(stage_of.values())
    if len(stages_given) == 1:
        stage = stages_given.pop()
    else:
        ids_of = {stage: [m for m, s in stage_of.items() if s == stage] for stage in sorted(stages_given)}
        stage = sa.case(*((among(MemberScore.member_id, ids), stage) for stage, ids in ids_of.items()))
    db.session.execute(
        sa.update(MemberScore)
        .where(among(MemberScore.member_id, list(stage_of)))
        .values(stage=stage)
        .execution_options(synchronize_session=False)
    )


def create_leads(member_ids: list[int], now) -> list[Lead]:
    """Crossing MQL: each member's lead is created (once); the new ones, loaded for what follows."""
    rows = [
        {"member_id": m, "stage": "mql", "created_at": now, "updated_at": now, "qualified_at": now}
        for m in sorted(member_ids)
    ]
    new_ids = [lead_id for (lead_id,) in insert_new_rows(Lead.__table__, rows, Lead.id)]
    if not new_ids:
        return []
    # Roles are not what an announcement needs, on either path to the member (the score's member is
    # the lead's own, found in the session without a statement).
    stmt = (
        sa.select(Lead)
        .where(among(Lead.id, new_ids))
        .options(joinedload(Lead.member).lazyload(Member.roles), defaultload(Lead.score).lazyload(MemberScore.member))
    )
    return list(db.session.scalars(stmt.order_by(Lead.id)))


def announce_new_leads(leads: list[Lead], now) -> None:
    """New leads' first history entry and owner by the rules; lead.qualified fires for each."""
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
