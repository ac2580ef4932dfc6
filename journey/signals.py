"""Journey's signal receivers (imported once by the factory): each hands over to a service.

Whatever happens to a member schedules one refresh of their journey and health after the commit.
"""

from community.services.announcements import feedback_saved, recommendation_saved
from core.models import utcnow
from core.signals import (
    activity_recorded,
    member_erased,
    member_export_requested,
    member_signed_up,
    member_type_changed,
    prospect_claimed,
)
from journey.services import privacy, stages, tracking
from leads.services.announcements import lead_status_changed


@member_signed_up.connect
def track_signup(sender, member, **extra) -> None:
    tracking.schedule_refresh(member.id)


@member_type_changed.connect
def track_member_type(sender, member, previous, **extra) -> None:
    tracking.schedule_refresh(member.id, converted_at=utcnow() if member.member_type == "customer" else None)


@activity_recorded.connect
def track_activity(sender, member_id, **extra) -> None:
    tracking.schedule_refresh(member_id)


@feedback_saved.connect
@recommendation_saved.connect
def track_voice(sender, member_id, **extra) -> None:
    tracking.schedule_refresh(member_id)


@lead_status_changed.connect
def track_lead(sender, lead, **extra) -> None:
    tracking.schedule_refresh(lead.member_id)


@prospect_claimed.connect
def merge_claimed_prospect(sender, prospect_id, member_id, **extra) -> None:
    stages.merge_prospect(prospect_id, member_id)
    tracking.schedule_refresh(member_id)


@member_erased.connect
def anonymise_member(sender, member_id, **extra) -> None:
    privacy.anonymise_member(member_id)


@member_export_requested.connect
def export_member(sender, member, **extra) -> dict:
    return {"journey": privacy.export_member(member)}
