"""Signals leads sends, and the receivers it connects (imported once by the factory)."""

from __future__ import annotations

import sqlalchemy as sa
from blinker import Namespace

from core.accounts.models import Member
from core.extensions import db
from core.signals import activity_recorded, member_erased, member_export_requested
from leads.models import Activity, Identity, Lead, LeadNote, MemberScore, WebhookDelivery

leads_signals = Namespace()
# sender: the app; kwargs: lead. Sent when a member crosses the MQL threshold.
lead_qualified = leads_signals.signal("lead-qualified")
# sender: the app; kwargs: lead, previous (the stage before).
lead_status_changed = leads_signals.signal("lead-status-changed")


@activity_recorded.connect
def record_domain_activity(sender, **activity) -> None:
    """Community and referral activities land in the ledger in the sender's transaction."""
    from leads.services import record_activity

    record_activity(
        activity["member_id"],
        activity["activity_type"],
        activity["occurred_at"],
        source=sender if isinstance(sender, str) else "internal",
        subject_type=activity.get("subject_type"),
        subject_id=activity.get("subject_id"),
        properties=activity.get("properties") or {},
    )


def lead_payload(lead: Lead) -> dict:
    member = lead.member
    return {
        "lead_id": lead.id,
        "member_id": lead.member_id,
        "email": member.email,
        "display_name": member.display_name,
        "stage": lead.stage,
        "owner_id": lead.owner_id,
    }


@lead_qualified.connect
def publish_qualified(sender, lead: Lead) -> None:
    from leads.services import publish

    publish("lead.qualified", lead_payload(lead))


@lead_status_changed.connect
def publish_status_changed(sender, lead: Lead, previous: str) -> None:
    from leads.services import publish

    publish("lead.status_changed", {**lead_payload(lead), "previous_stage": previous})


@member_erased.connect
def anonymise_member(sender, member_id: int) -> None:
    """Keep counts and scores; drop what identifies or describes the person."""
    activities = sa.update(Activity).where(Activity.member_id == member_id)
    db.session.execute(activities.values(properties={}, anonymous_id=None, user_id=None))
    db.session.execute(sa.delete(Identity).where(Identity.member_id == member_id))
    db.session.execute(sa.update(MemberScore).where(MemberScore.member_id == member_id).values(organization=None))
    lead_ids = sa.select(Lead.id).where(Lead.member_id == member_id)
    db.session.execute(sa.update(LeadNote).where(LeadNote.lead_id.in_(lead_ids)).values(body="[erased]"))
    anonymise_deliveries(member_id)


ERASED_PAYLOAD_FIELDS = ("email", "display_name")


def anonymise_deliveries(member_id: int) -> None:
    """Webhook deliveries about the member (logged, replayable) carry what the member now shows."""
    member = db.session.get(Member, member_id)
    erased = {"email": member.email if member else f"erased-{member_id}@invalid", "display_name": "Former member"}
    about = WebhookDelivery.payload["data"]["member_id"].as_integer() == member_id
    for delivery in db.session.scalars(sa.select(WebhookDelivery).where(about)):
        data = delivery.payload.get("data") or {}
        delivery.payload = {**delivery.payload, "data": {**data, **{k: erased[k] for k in ERASED_PAYLOAD_FIELDS}}}
    db.session.flush()


@member_export_requested.connect
def export_member(sender, member) -> dict:
    """Everything leads holds about the member: activities, linked ids, stage, organisation and
    company size, and the notes sales wrote about them (personal data about the member)."""
    activities = db.session.scalars(sa.select(Activity).where(Activity.member_id == member.id).order_by(Activity.id))
    identities = db.session.scalars(
        sa.select(Identity).where(Identity.member_id == member.id).order_by(Identity.kind, Identity.external_id)
    )
    lead = db.session.scalar(sa.select(Lead).where(Lead.member_id == member.id))
    score = db.session.get(MemberScore, member.id)
    return {
        "leads": {
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
                {"kind": i.kind, "external_id": i.external_id, "created_at": i.created_at.isoformat()}
                for i in identities
            ],
            "stage": lead.stage if lead else (score.stage if score else "member"),
            "organization": score.organization if score else None,
            "company_size": score.company_size if score else None,
            "notes": [{"body": n.body, "created_at": n.created_at.isoformat()} for n in (lead.notes if lead else [])],
        }
    }
