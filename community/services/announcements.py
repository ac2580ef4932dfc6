"""What community announces about the voice of the customer: blinker signals its services send inside
the caller's transaction, with plain values (no models), for other packages to subscribe to."""

from blinker import Namespace

community_signals = Namespace()
# A thread's author rated the help they got, or changed the rating. sender: the app; kwargs:
# member_id, thread_id, csat (1-5), ces (1-7), rated_at (aware UTC datetime).
feedback_saved = community_signals.signal("feedback-saved")
# A member recommended a product, or changed the score. sender: the app; kwargs: member_id,
# product_id, score (0-10), rated_at.
recommendation_saved = community_signals.signal("recommendation-saved")
# A member replied in a thread. sender: the app; kwargs: post_id, thread_id, author_id, created_at.
post_created = community_signals.signal("post-created")
