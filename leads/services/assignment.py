"""Who gets a new MQL (by hand, or round robin, the same owner per organisation if asked), and the claim
SLA: leads nobody claimed within claim_within_hours are overdue and announced once."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from core.errors import ValidationFailed
from core.extensions import db
from core.models import utcnow
from core.notifications.models import LEAD_ASSIGNED, LEAD_SLA_BREACHED
from core.notifications.services import notify
from leads.models import AssignmentRules, Lead, MemberScore
from leads.services.announcements import lead_assigned, lead_sla_breached
from leads.services.common import insert_ignoring_conflicts
from leads.services.sales import seller

RULES_ID = 1
SLA_BATCH = 500


def assignment_rules(*, for_update: bool = False) -> AssignmentRules:
    """The one rules row; until an admin saves one, the default (manual, no SLA), unsaved."""
    stmt = sa.select(AssignmentRules).where(AssignmentRules.id == RULES_ID)
    rules = db.session.scalar(stmt.with_for_update() if for_update else stmt)
    if rules is not None:
        return rules
    defaults = {"id": RULES_ID, "mode": "manual", "seller_ids": [], "same_owner_per_organization": False,
                "claim_within_hours": None, "next_seller": 0}  # fmt: skip
    if not for_update:
        return AssignmentRules(**defaults, updated_at=None)
    insert_ignoring_conflicts(AssignmentRules.__table__, {**defaults, "updated_at": utcnow()})
    return db.session.scalar(stmt.with_for_update())


def update_assignment(changes: dict, actor_id: int) -> AssignmentRules:
    """Replace the rules (PUT): round robin needs sellers, and every seller must be one."""
    seller_ids = list(dict.fromkeys(changes.get("seller_ids", [])))
    if changes["mode"] == "round_robin" and not seller_ids:
        raise ValidationFailed("Round robin needs at least one seller.", field="seller_ids")
    for member_id in seller_ids:
        try:
            seller(member_id)
        except ValidationFailed:
            message = f"Member {member_id} is not a seller (sales or admin role)."
            raise ValidationFailed(message, field="seller_ids") from None
    rules = assignment_rules(for_update=True)
    rules.mode, rules.seller_ids = changes["mode"], seller_ids
    rules.same_owner_per_organization = changes.get("same_owner_per_organization", False)
    rules.claim_within_hours = changes.get("claim_within_hours")
    rules.next_seller, rules.updated_by_id = 0, actor_id
    db.session.flush()
    return rules


def organization_owner(lead: Lead, seller_ids: list[int]) -> int | None:
    """The owner of another lead of the same organisation, if they are still one of the sellers."""
    organization = sa.select(MemberScore.organization).where(MemberScore.member_id == lead.member_id)
    stmt = (
        sa.select(Lead.owner_id)
        .join(MemberScore, MemberScore.member_id == Lead.member_id)
        .where(
            MemberScore.organization == organization.scalar_subquery(),
            Lead.id != lead.id,
            Lead.owner_id.in_(seller_ids),
        )
        .order_by(Lead.qualified_at.desc(), Lead.id.desc())
        .limit(1)
    )
    return db.session.scalar(stmt)


def next_in_turn(rules: AssignmentRules) -> int:
    """The seller whose turn it is; the rules row is locked, so two new MQLs never get the same turn."""
    owner = rules.seller_ids[rules.next_seller % len(rules.seller_ids)]
    rules.next_seller = (rules.next_seller + 1) % len(rules.seller_ids)
    return owner


def assign_new_leads(leads: list[Lead]) -> None:
    """A batch's new MQLs: the rules are read once, and the leads visited only under round robin."""
    rules = assignment_rules()
    if rules.mode == "round_robin" and rules.seller_ids:
        for lead in leads:
            assign_new_lead(lead)


def assign_new_lead(lead: Lead) -> int | None:
    """Give a new (or recycled) MQL an owner by the rules, who hears of it (lead_assigned)."""
    rules = assignment_rules()
    if rules.mode != "round_robin" or not rules.seller_ids or lead.owner_id is not None:
        return None
    rules = assignment_rules(for_update=True)
    owner = None
    if rules.same_owner_per_organization:
        owner = organization_owner(lead, rules.seller_ids)
    lead.owner_id = owner or next_in_turn(rules)
    db.session.flush()
    data = {"lead_id": lead.id, "display_name": lead.member.display_name}
    notify(lead.owner_id, LEAD_ASSIGNED, subject_type="lead", subject_id=lead.id, data=data)
    lead_assigned.send(current_app._get_current_object(), lead=lead)
    return lead.owner_id


def overdue_condition(now: datetime | None = None, *, claim_within_hours: int | None = None):
    """MQLs nobody claimed within the rules' claim_within_hours (nothing is overdue without an SLA)."""
    hours = claim_within_hours if claim_within_hours is not None else assignment_rules().claim_within_hours
    if hours is None:
        return sa.false()
    cutoff = (now or utcnow()) - timedelta(hours=hours)
    return sa.and_(Lead.stage == "mql", Lead.claimed_at.is_(None), Lead.qualified_at <= cutoff)


def check_sla(now: datetime | None = None) -> int:
    """Announce each overdue lead once (lead.sla_breached, and its owner is notified); returns how many.
    The conditional UPDATE marks a lead breached only if nobody did before, so two checks never both fire."""
    now = now or utcnow()
    overdue = overdue_condition(now)
    ids = list(
        db.session.scalars(
            sa.select(Lead.id).where(overdue, Lead.sla_breached_at.is_(None)).order_by(Lead.id).limit(SLA_BATCH)
        )
    )
    breached = 0
    for lead_id in ids:
        marked = db.session.execute(
            sa.update(Lead)
            .where(Lead.id == lead_id, Lead.sla_breached_at.is_(None), overdue)
            .values(sla_breached_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if marked:
            announce_breach(db.session.get(Lead, lead_id), now)
            breached += 1
    return breached


def announce_breach(lead: Lead, now: datetime) -> None:
    db.session.refresh(lead)
    if lead.owner_id is not None:
        data = {"lead_id": lead.id, "display_name": lead.member.display_name}
        notify(lead.owner_id, LEAD_SLA_BREACHED, subject_type="lead", subject_id=lead.id, data=data)
    lead_sla_breached.send(current_app._get_current_object(), lead=lead)
