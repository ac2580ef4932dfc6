"""Community's signal receivers (imported once by the factory): each hands over to a service.

Community announces its activities through core.signals.activity_recorded (sender
COMMUNITY); see community.services.common.record_activity.
"""

from community.services import privacy
from core.signals import member_erased, member_export_requested


@member_erased.connect
def anonymise_member_content(sender, member_id: int, **kwargs) -> None:
    privacy.anonymise_member(member_id)


@member_export_requested.connect
def export_member_content(sender, member, **kwargs) -> dict:
    return {"community": privacy.export_member(member)}
