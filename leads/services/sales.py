"""What sales work with: ranked lists, the why of a score, claiming and moving leads, accounts."""

from __future__ import annotations

import sqlalchemy as sa

from community.services import products
from core.accounts.models import Member
from core.auth import has_role
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import utcnow
from leads.models import Activity, Lead, LeadNote
from leads.services import stages
from leads.services.points import scored_activities
from leads.services.rules import current_rules, decay_factor, matched_rules
from referrals.services import conversions

RECENT_ACTIVITIES = 10
STAGE_DETAILS = {"lost_reason", "disqualified_reason", "amount", "currency"}


class LeadAlreadyClaimed(Conflict):
    """Another seller owns this lead."""


def with_score(lead: Lead, score: float, factor: float) -> Lead:
    lead.current_score = score
    lead.engagement = lead.score.engagement_sum * factor
    lead.fit = lead.score.fit
    lead.last_activity_at = lead.score.last_activity_at
    lead.member.organization = lead.score.organization
    return lead


def get_lead(lead_id: int) -> Lead:
    lead = db.session.get(Lead, lead_id)
    if lead is None:
        raise NotFound("No such lead.")
    factor = decay_factor(current_rules())
    return with_score(lead, lead.score.engagement_sum * factor + lead.score.fit, factor)


def lead_detail(lead_id: int) -> Lead:
    """The lead with its why: contributions (summing to the score), recent activity, discovery, products.
    Each activity's points come from the rules the stored sums were computed with."""
    lead = get_lead(lead_id)
    rules = current_rules()
    factor = decay_factor(rules)
    scored = scored_activities(rules.active_config, rules.epoch_days, Activity.member_id == lead.member_id)
    by_type = db.session.execute(
        sa.select(scored.c.activity_type, sa.func.count(), sa.func.sum(scored.c.decayed)).group_by(
            scored.c.activity_type
        )
    ).all()
    contributions = [
        {"activity_type": kind, "count": count, "points": total * factor} for kind, count, total in by_type
    ]
    fit_count = matched_rules(lead.member_id, rules.active_config["fit_rules"])
    contributions.append({"activity_type": "fit", "count": fit_count, "points": lead.fit})
    lead.contributions = sorted(contributions, key=lambda c: -abs(c["points"]))
    with_score(lead, lead.score.engagement_sum * factor + lead.score.fit, factor)  # stored, not the rows' sum
    lead.recent_activities = recent_activities(scored, factor)
    lead.discovery = conversions.discovery_path(lead.member_id)
    lead.product_interest = product_interest(scored, factor)
    return lead


def recent_activities(scored: sa.Subquery, factor: float) -> list[dict]:
    rows = db.session.execute(
        sa.select(scored).order_by(scored.c.occurred_at.desc(), scored.c.id.desc()).limit(RECENT_ACTIVITIES)
    )
    return [
        {
            "activity_type": a.activity_type,
            "occurred_at": a.occurred_at,
            "source": a.source,
            "subject_type": a.subject_type,
            "subject_id": a.subject_id,
            "points": a.decayed * factor,
        }
        for a in rows
    ]


def product_interest(scored: sa.Subquery, factor: float) -> list[dict]:
    rows = db.session.execute(
        sa.select(scored.c.subject_id, sa.func.count(), sa.func.sum(scored.c.decayed))
        .where(scored.c.subject_type == "product")
        .group_by(scored.c.subject_id)
    ).all()
    names = products.product_names([product_id for product_id, *_ in rows])
    items = [
        {"product_id": pid, "name": names.get(pid), "activities": count, "points": total * factor}
        for pid, count, total in rows
    ]
    return sorted(items, key=lambda item: (-item["points"], item["product_id"]))


def may_work_on(lead: Lead, actor: Member) -> None:
    if lead.owner_id not in (None, actor.id) and not has_role(actor, "admin"):
        raise Forbidden("This lead belongs to another seller.")


def claim_lead(lead: Lead, actor: Member) -> Lead:
    """Take the lead: you own it, and a fresh MQL becomes SAL. One conditional UPDATE, so of two
    sellers claiming at once exactly one wins (the other's UPDATE finds the owner set: 409)."""
    claimed_at = sa.func.coalesce(Lead.claimed_at, sa.literal(utcnow(), type_=Lead.claimed_at.type))
    won = db.session.execute(
        sa.update(Lead)
        .where(Lead.id == lead.id, sa.or_(Lead.owner_id.is_(None), Lead.owner_id == actor.id))
        .values(owner_id=actor.id, claimed_at=claimed_at)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        raise LeadAlreadyClaimed("Someone else has already claimed this lead.")
    db.session.refresh(lead, ["owner_id", "claimed_at", "stage", "owner"])
    if lead.stage == "mql":
        stages.set_stage(lead, "sal", actor.id)
    db.session.flush()
    return lead


def update_lead(lead: Lead, changes: dict, actor: Member) -> Lead:
    """Hand over, move (checked, recorded in the history) and note, all or nothing."""
    may_work_on(lead, actor)
    if "owner_id" in changes:
        lead.owner_id = changes["owner_id"] and seller(changes["owner_id"]).id
        lead.claimed_at = utcnow() if lead.owner_id else None
    if changes.get("status") and changes["status"] != lead.stage:
        stages.move_stage(lead, changes["status"], actor.id, changes)
    elif set(changes) & STAGE_DETAILS:
        field = sorted(set(changes) & STAGE_DETAILS)[0]
        raise ValidationFailed(f"{field} goes with a status change.", field=field)
    if changes.get("note"):
        lead.notes.append(LeadNote(author_id=actor.id, body=changes["note"].strip()))
    db.session.flush()
    return lead


def seller(member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None or member.erased_at is not None or not has_role(member, "sales"):
        raise ValidationFailed("The owner must be a member with the sales or admin role.", field="owner_id")
    return member
