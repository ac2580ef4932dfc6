"""Notifications' receivers of the accounts signals (imported once by the factory)."""

from core.notifications import services
from core.signals import member_erased, member_export_requested


@member_erased.connect
def erase_notifications(sender, member_id: int, **kwargs) -> None:
    services.erase_member(member_id)


@member_export_requested.connect
def export_notifications(sender, member, **kwargs) -> dict:
    return {"notifications": services.export_member(member)}
