"""Closing the loop: staff answer a rating or a peer recommendation, and its author is told."""

from __future__ import annotations

from community.models import FeedbackResponse, Recommendation, ThreadFeedback
from community.services.common import ensure_can_contribute
from community.services.markdown import render_markdown
from core.accounts.models import Member
from core.extensions import db
from core.notifications import services as notifications
from core.notifications.models import FEEDBACK_RESPONSE

EXCERPT = 140  # characters of the answer in the notification: enough to decide to open it


def excerpt(body: str) -> str:
    text = " ".join(body.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def respond(subject_type: str, subject, author_id: int, responder: Member, body: str, **where) -> FeedbackResponse:
    """Store the answer to `subject` and tell its author; views check the staff role, a banned member
    answers nothing. `where` locates the subject for the notification (thread_id, product_id)."""
    ensure_can_contribute(responder)
    response = FeedbackResponse(responder_id=responder.id, body=body, body_html=render_markdown(body))
    setattr(response, f"{subject_type}_id", subject.id)
    db.session.add(response)
    db.session.flush()
    data = {**where, "response_id": response.id, "excerpt": excerpt(body)}
    notifications.notify(
        author_id, FEEDBACK_RESPONSE, actor_id=responder.id, subject_type=subject_type, subject_id=subject.id, data=data
    )
    return response


def respond_to_feedback(feedback: ThreadFeedback, responder: Member, body: str) -> FeedbackResponse:
    return respond("feedback", feedback, feedback.member_id, responder, body, thread_id=feedback.thread_id)


def respond_to_recommendation(recommendation: Recommendation, responder: Member, body: str) -> FeedbackResponse:
    author_id, product_id = recommendation.member_id, recommendation.product_id
    return respond("recommendation", recommendation, author_id, responder, body, product_id=product_id)
