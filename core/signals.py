"""What the accounts core announces; domains subscribe without core knowing them."""

from blinker import Namespace

accounts_signals = Namespace()

# sender: the app; kwargs: member, referral_code (str | None), visitor_id (str | None)
member_signed_up = accounts_signals.signal("member-signed-up")
# sender: the app; kwargs: member_id. Receivers anonymise their rows of this member.
member_erased = accounts_signals.signal("member-erased")
# sender: the app; kwargs: member. Receivers return {section_name: json-able data}.
member_export_requested = accounts_signals.signal("member-export-requested")
