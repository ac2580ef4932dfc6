"""Signals community sends, and the receivers it connects (imported once by the factory).

Community announces its activities through core.signals.activity_recorded (sender
"community"); see community.services.common.record_activity.
"""

from core.signals import member_erased, member_export_requested


@member_erased.connect
def anonymise_member_content(sender, member_id: int, **kwargs) -> None:
    from community.services import erase_member_rows

    erase_member_rows(member_id)


@member_export_requested.connect
def export_member_content(sender, member, **kwargs) -> dict:
    from community.services import export_member_rows

    return {"community": export_member_rows(member.id)}
