"""What the accounts core announces; domains subscribe without core knowing them."""

from blinker import Namespace

accounts_signals = Namespace()

# A person signed up (also when they claim a prospect profile). sender: the app; kwargs: member,
# referral_code (str | None), and from the sign-up request: visitor_id (the visitor cookie as
# sent, unchecked; str | None) and client_address (the raw address: hash it, never store it).
member_signed_up = accounts_signals.signal("member-signed-up")
# sender: the app; kwargs: member_id. Receivers anonymise their rows of this member.
member_erased = accounts_signals.signal("member-erased")
# sender: the app; kwargs: member. Receivers return {section_name: json-able data}.
member_export_requested = accounts_signals.signal("member-export-requested")

# The activity contract between domains. Senders: "community", "referrals" (as the
# sender argument); kwargs: member_id (int), activity_type (str, e.g. "post_created"),
# occurred_at (aware UTC datetime), subject_type (str | None, e.g. "thread",
# "product"), subject_id (int | None), properties (dict, JSON-able). Sent inside
# the action's transaction, before commit; receivers write in the same session.
activity_recorded = accounts_signals.signal("activity-recorded")
