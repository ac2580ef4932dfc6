"""What leads holds about a member: exported on request, anonymised on erasure."""

from __future__ import annotations

import re

import sqlalchemy as sa

from core.accounts.models import Member
from core.extensions import db
from leads.models import Activity, Identity, Lead, LeadNote, LeadStageChange, MemberScore, WebhookDelivery


def anonymise_member(member_id: int, email: str | None = None) -> None:
    """Keep counts and scores; drop what identifies or describes the person, and their address
    wherever others' activities mention it."""
    activities = sa.update(Activity).where(Activity.member_id == member_id)
    db.session.execute(activities.values(properties={}, anonymous_id=None, user_id=None))
    db.session.execute(sa.delete(Identity).where(Identity.member_id == member_id))
    db.session.execute(sa.update(MemberScore).where(MemberScore.member_id == member_id).values(organization=None))
    lead_ids = sa.select(Lead.id).where(Lead.member_id == member_id)
    db.session.execute(sa.update(LeadNote).where(LeadNote.lead_id.in_(lead_ids)).values(body="[erased]"))
    # Why a seller lost or disqualified someone is written about them, like a note.
    moves = sa.update(LeadStageChange).where(LeadStageChange.lead_id.in_(lead_ids), LeadStageChange.reason.is_not(None))
    db.session.execute(moves.values(reason=ERASED))
    anonymise_deliveries(member_id)
    if email:
        scrub_email_from_activities(email)


ERASED = "[erased]"


def scrub_email_from_activities(email: str) -> None:
    """Activities of others (or of no one yet) that mention the address keep their shape, not it.
    The database narrows by text (a superset: LIKE's wildcards); Python replaces exactly."""
    pattern = re.compile(re.escape(email), re.IGNORECASE)
    mentions = sa.func.lower(sa.cast(Activity.properties, sa.Text)).like(f"%{email.lower()}%")
    for activity in db.session.scalars(sa.select(Activity).where(mentions)):
        activity.properties = scrubbed(activity.properties, pattern)
    db.session.flush()


def scrubbed(value, pattern: re.Pattern):
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, dict):
        return {pattern.sub(ERASED, k): scrubbed(v, pattern) for k, v in value.items()}
    if isinstance(value, list):
        return [scrubbed(v, pattern) for v in value]
    return value


ERASED_PAYLOAD_FIELDS = ("email", "display_name")


def anonymise_deliveries(member_id: int) -> None:
    """Webhook deliveries about the member (logged, replayable) carry what the member now shows."""
    member = db.session.get(Member, member_id)
    erased = {"email": member.email if member else f"erased-{member_id}@invalid", "display_name": "Former member"}
    about = WebhookDelivery.payload["data"]["member_id"].as_integer() == member_id
    for delivery in db.session.scalars(sa.select(WebhookDelivery).where(about)):
        data = delivery.payload.get("data") or {}
        replaced = {k: erased[k] for k in ERASED_PAYLOAD_FIELDS if k in data}  # post.created carries no email
        delivery.payload = {**delivery.payload, "data": {**data, **replaced}}
    db.session.flush()


def stage_history(lead: Lead | None) -> list[dict]:
    if lead is None:
        return []
    moves = db.session.scalars(
        sa.select(LeadStageChange).where(LeadStageChange.lead_id == lead.id).order_by(LeadStageChange.id)
    )
    return [{"from": m.from_stage, "to": m.to_stage, "at": m.at.isoformat(), "reason": m.reason} for m in moves]


def export_member(member: Member) -> dict:
    """Everything leads holds about the member: activities, linked ids, stage, organisation and
    company size, and the notes sales wrote about them (personal data about the member)."""
    activities = db.session.scalars(sa.select(Activity).where(Activity.member_id == member.id).order_by(Activity.id))
    identities = db.session.scalars(
        sa.select(Identity).where(Identity.member_id == member.id).order_by(Identity.kind, Identity.external_id)
    )
    lead = db.session.scalar(sa.select(Lead).where(Lead.member_id == member.id))
    score = db.session.get(MemberScore, member.id)
    return {
        "activities": [
            {
                "activity_type": a.activity_type,
                "occurred_at": a.occurred_at.isoformat(),
                "source": a.source,
                "properties": a.properties,
            }
            for a in activities
        ],
        "identities": [
            {"kind": i.kind, "external_id": i.external_id, "created_at": i.created_at.isoformat()} for i in identities
        ],
        "stage": lead.stage if lead else (score.stage if score else "member"),
        "organization": score.organization if score else None,
        "company_size": score.company_size if score else None,
        "notes": [{"body": n.body, "created_at": n.created_at.isoformat()} for n in (lead.notes if lead else [])],
        "stage_history": stage_history(lead),
    }
