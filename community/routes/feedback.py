"""The voice of the customer: CSAT and CES on threads, NPS over time, staff closing the loop."""

from flask_login import current_user

from community.routes.common import blp, responds
from community.schemas.feedback import (
    FeedbackListArgsSchema,
    FeedbackSchema,
    FeedbackSummaryArgsSchema,
    FeedbackSummarySchema,
    NpsArgsSchema,
    NpsReportSchema,
    ResponseSchema,
)
from community.services import feedback, nps, products, responses, threads
from core.extensions import db
from core.pagination import page, page_schema

STAFF = feedback.STAFF_ROLES  # read feedback and answer it
REPORT_READERS = ("marketer", "admin")


@blp.route("/threads/<int:thread_id>/feedback", methods=["PUT"])
@blp.login_required()
@blp.arguments(FeedbackSchema)
@blp.response(200, FeedbackSchema)
@responds(404, 409)
def rate_thread(data, thread_id):
    """Rate the help your thread got (CSAT 1-5, CES 1-7) once someone replied; rating again changes it"""
    rating = feedback.rate_thread(threads.get_thread(thread_id, current_user), current_user, **data)
    db.session.commit()
    return rating


@blp.route("/threads/<int:thread_id>/feedback", methods=["GET"])
@blp.login_required()
@blp.response(200, FeedbackSchema)
@responds(404)
def get_thread_feedback(thread_id):
    """A thread's rating with staff responses (its author and staff)"""
    return feedback.thread_feedback(threads.get_thread(thread_id, current_user), current_user)


@blp.route("/feedback", methods=["GET"])
@blp.login_required(*STAFF)
@blp.arguments(FeedbackListArgsSchema, location="query")
@blp.response(200, page_schema(FeedbackSchema))
def list_feedback(args):
    """Ratings of threads, newest first, with their responses"""
    return page(*feedback.list_feedback(**args))


@blp.route("/feedback/summary", methods=["GET"])
@blp.login_required(*REPORT_READERS)
@blp.arguments(FeedbackSummaryArgsSchema, location="query")
@blp.response(200, FeedbackSummarySchema)
def feedback_summary(args):
    """CSAT (percent satisfied) and CES (mean) per month or category"""
    return feedback.feedback_summary(**args)


@blp.route("/feedback/<int:feedback_id>/response", methods=["POST"])
@blp.login_required(*STAFF)
@blp.arguments(ResponseSchema)
@blp.response(201, ResponseSchema)
@responds(404)
def respond_to_feedback(data, feedback_id):
    """Answer a rating; its author gets a feedback_response notification"""
    response = responses.respond_to_feedback(feedback.get_feedback(feedback_id), current_user, data["body"])
    db.session.commit()
    return response


@blp.route("/recommendations/<int:recommendation_id>/response", methods=["POST"])
@blp.login_required(*STAFF)
@blp.arguments(ResponseSchema)
@blp.response(201, ResponseSchema)
@responds(404)
def respond_to_recommendation(data, recommendation_id):
    """Answer a peer recommendation; its author gets a feedback_response notification"""
    recommendation = products.get_recommendation(recommendation_id, current_user)
    response = responses.respond_to_recommendation(recommendation, current_user, data["body"])
    db.session.commit()
    return response


@blp.route("/nps", methods=["GET"])
@blp.login_required(*REPORT_READERS)
@blp.arguments(NpsArgsSchema, location="query")
@blp.response(200, NpsReportSchema)
def nps_report(args):
    """NPS per month (brand-wide or one product's) or per product; banned and erased members left out"""
    return nps.nps_report(**args)
