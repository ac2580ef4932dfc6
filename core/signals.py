"""The contracts between domains: what accounts announce, and the activities community and
referrals announce for leads (and each other), with the names they carry. Domains subscribe
without core knowing them."""

from blinker import Namespace

accounts_signals = Namespace()

# A person signed up (also when they claim a prospect profile). sender: the app; kwargs: member,
# referral_code (str | None), and from the sign-up request: visitor_id (the visitor cookie as
# sent, unchecked; str | None) and client_address (the raw address: hash it, never store it).
member_signed_up = accounts_signals.signal("member-signed-up")
# sender: the app; kwargs: member_id, email (the normalised address the member had, so receivers
# can scrub it where others' rows mention it; str | None). Receivers anonymise their rows.
member_erased = accounts_signals.signal("member-erased")
# An admin changed a member's member_type. sender: the app; kwargs: member, previous (str).
member_type_changed = accounts_signals.signal("member-type-changed")
# A prospect (a profile an integration made) joins the account that verified its address.
# sender: the app; kwargs: prospect_id, member_id. Receivers move the prospect's rows to the
# member; the prospect's row is deleted afterwards (its remaining rows go with it).
prospect_claimed = accounts_signals.signal("prospect-claimed")
# sender: the app; kwargs: member. Receivers return {section_name: json-able data}.
member_export_requested = accounts_signals.signal("member-export-requested")

# The activity contract between domains. Senders: COMMUNITY, REFERRALS (as the sender
# argument); kwargs: member_id (int), activity_type (str, one of the names below),
# occurred_at (aware UTC datetime), subject_type (str | None, e.g. "thread",
# "product"), subject_id (int | None), properties (dict, JSON-able). Sent inside
# the action's transaction, before commit; receivers write in the same session.
activity_recorded = accounts_signals.signal("activity-recorded")

# Senders of activity_recorded: the domain the activity happened in (leads stores it as the source).
COMMUNITY = "community"
REFERRALS = "referrals"

# Activity types community and referrals send, and leads scores (and referrals rewards).
THREAD_CREATED = "thread_created"
POST_CREATED = "post_created"
REACTION_GIVEN = "reaction_given"
REACTION_RECEIVED = "reaction_received"
ANSWER_ACCEPTED = "answer_accepted"
RECOMMENDATION_MADE = "recommendation_made"
RECOMMENDATION_ENDORSED = "recommendation_endorsed"
CONTENT_SHARED = "content_shared"
FEEDBACK_GIVEN = "feedback_given"  # a thread's author rated the help they got (CSAT and CES), once per thread
REFERRAL_SIGNUP = "referral_signup"
