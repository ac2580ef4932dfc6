"""Referrals' signal receivers (imported once by the factory): each hands over to a service.

Referrals sends core.signals.activity_recorded (sender REFERRALS, activity_type
REFERRAL_SIGNUP) to the referrer when someone they referred signs up.
"""

from core.signals import COMMUNITY, activity_recorded, member_erased, member_export_requested, member_signed_up
from referrals.services import conversions, privacy, rewards


@member_signed_up.connect
def attribute_new_member(sender, member, referral_code=None, visitor_id=None, client_address=None, **extra):
    """A signup from a visitor with clicks, or with an explicit code, is a referral conversion."""
    conversions.attribute_new_member(
        member, referral_code=referral_code, visitor_id=visitor_id, client_address=client_address
    )


@member_erased.connect
def anonymise_erased_member(sender, member_id, **extra):
    privacy.anonymise_member(member_id)


@member_export_requested.connect
def export_referral_data(sender, member, **extra):
    return {"referrals": privacy.export_member(member)}


@activity_recorded.connect_via(COMMUNITY)
def reward_first_post(sender, member_id, activity_type, occurred_at, **extra):
    rewards.grant_for_activity(member_id, activity_type, occurred_at)
