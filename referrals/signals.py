"""Signals referrals sends, and the receivers it connects (imported once by the factory).

Referrals sends core.signals.activity_recorded (sender "referrals", activity_type
"referral_signup") to the referrer when someone they referred signs up.
"""

from core.signals import activity_recorded, member_erased, member_export_requested, member_signed_up
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


@activity_recorded.connect_via("community")
def reward_first_post(sender, member_id, activity_type, occurred_at, **extra):
    """A referred member's first thread or post can trigger a reward rule."""
    if activity_type in rewards.FIRST_POST_ACTIVITIES:
        rewards.grant_first_post_rewards(member_id, occurred_at)
