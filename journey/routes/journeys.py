"""A member's journey and the journey funnel (marketers and admins)."""

from core.extensions import db
from core.schemas import NoArgsSchema
from journey.routes.common import MARKETING, blp
from journey.schemas.journeys import JourneyFunnelArgsSchema, JourneyFunnelSchema, MemberJourneySchema
from journey.services import funnel, stages


@blp.route("/members/<int:member_id>/journey", methods=["GET"])
@blp.login_required(*MARKETING)
@blp.arguments(NoArgsSchema, location="query")
@blp.response(200, MemberJourneySchema)
def get_member_journey(args, member_id):
    """A member's journey stage, every move with its time, and how they were discovered"""
    journey = stages.member_journey(member_id)
    db.session.commit()  # the refresh it read through is kept
    return journey


@blp.route("/journey/funnel", methods=["GET"])
@blp.login_required(*MARKETING)
@blp.arguments(JourneyFunnelArgsSchema, location="query")
@blp.response(200, JourneyFunnelSchema)
def get_journey_funnel(args):
    """Members per stage and median days from discovery, by discovery channel"""
    return funnel.journey_funnel(**args)
