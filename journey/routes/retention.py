"""Retention cohorts (marketers and admins)."""

from journey.routes.common import MARKETING, blp
from journey.schemas.retention import CohortArgsSchema, CohortsSchema
from journey.services import retention


@blp.route("/retention/cohorts", methods=["GET"])
@blp.login_required(*MARKETING)
@blp.arguments(CohortArgsSchema, location="query")
@blp.response(200, CohortsSchema)
def get_retention_cohorts(args):
    """Members by the month they joined, and the share active in each month since"""
    return retention.retention_cohorts(**args)
