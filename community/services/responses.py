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


def respond(responder: Member, body: str, **subject) -> FeedbackResponse:
    """Views check the staff role; a banned member answers nothing."""
    ensure_can_contribute(responder)
    response = FeedbackResponse(responder_id=responder.id, body=body, body_html=render_markdown(body), **subject)
    db.session.add(response)
    db.session.flush()
    return response


def respond_to_feedback(feedback: ThreadFeedback, responder: Member, body: str) -> FeedbackResponse:
    response = respond(responder, body, feedback_id=feedback.id)
    data = {"thread_id": feedback.thread_id, "response_id": response.id, "excerpt": excerpt(body)}
    notifications.notify(
        feedback.member_id, FEEDBACK_RESPONSE, actor_id=responder.id, subject_type="feedback",
        subject_id=feedback.id, data=data,
    )  # fmt: skip
    return response


def respond_to_recommendation(recommendation: Recommendation, responder: Member, body: str) -> FeedbackResponse:
    response = respond(responder, body, recommendation_id=recommendation.id)
    data = {"product_id": recommendation.product_id, "response_id": response.id, "excerpt": excerpt(body)}
    notifications.notify(
        recommendation.member_id, FEEDBACK_RESPONSE, actor_id=responder.id, subject_type="recommendation",
        subject_id=recommendation.id, data=data,
    )  # fmt: skip
    return response
