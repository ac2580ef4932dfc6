"""Leads' signal receivers (imported once by the factory): each hands over to a service.

Leads subscribes to what the other domains announce (core.signals) and to its own
announcements (leads.services.announcements), which become webhook deliveries.
"""

from __future__ import annotations

from community.services.announcements import post_created
from core.signals import activity_recorded, member_erased, member_export_requested, member_signed_up, prospect_claimed
from leads.services import privacy, prospects, scoring, webhooks
from leads.services.announcements import (
    lead_assigned,
    lead_qualified,
    lead_requalified,
    lead_sla_breached,
    lead_status_changed,
)


@activity_recorded.connect
def record_domain_activity(sender, **activity) -> None:
    """Community and referral activities land in the ledger in the sender's transaction."""
    scoring.record_activity(
        activity["member_id"],
        activity["activity_type"],
        activity["occurred_at"],
        source=sender if isinstance(sender, str) else "internal",
        subject_type=activity.get("subject_type"),
        subject_id=activity.get("subject_id"),
        properties=activity.get("properties") or {},
    )


@lead_qualified.connect
def publish_qualified(sender, lead) -> None:
    webhooks.publish_lead_event("lead.qualified", lead)


@lead_status_changed.connect
def publish_status_changed(sender, lead, previous: str) -> None:
    webhooks.publish_lead_event("lead.status_changed", lead, previous_stage=previous)


@lead_requalified.connect
def publish_requalified(sender, lead, previous: str) -> None:
    webhooks.publish_lead_event("lead.requalified", lead, previous_stage=previous)


@lead_assigned.connect
def publish_assigned(sender, lead) -> None:
    webhooks.publish_lead_event("lead.assigned", lead)


@lead_sla_breached.connect
def publish_sla_breached(sender, lead) -> None:
    webhooks.publish_lead_event("lead.sla_breached", lead, qualified_at=lead.qualified_at.isoformat())


@member_signed_up.connect
def publish_member_created(sender, member, **extra) -> None:
    webhooks.publish_member_created(member)


@post_created.connect
def publish_post_created(sender, post_id: int, thread_id: int, author_id: int, created_at, **extra) -> None:
    webhooks.publish_post_created(post_id, thread_id, author_id, created_at)


@member_erased.connect
def anonymise_member(sender, member_id: int, email: str | None = None, **extra) -> None:
    privacy.anonymise_member(member_id, email)


@prospect_claimed.connect
def merge_claimed_prospect(sender, prospect_id: int, member_id: int, **extra) -> None:
    """A prospect's history joins the account that verified its address."""
    prospects.merge_prospect(prospect_id, member_id)


@member_export_requested.connect
def export_member(sender, member) -> dict:
    return {"leads": privacy.export_member(member)}
