"""Marketing reports: attribution, funnel, leaderboard, referral trees, k-factor, fraud flags."""

from core.pagination import page, page_schema
from core.schemas import NoArgsSchema
from referrals.routes.common import MARKETING, blp
from referrals.schemas.reports import (
    AttributionArgsSchema,
    AttributionSchema,
    FlagListArgsSchema,
    FlagSchema,
    FunnelSchema,
    KFactorArgsSchema,
    KFactorSchema,
    LeaderboardArgsSchema,
    LeaderboardSchema,
    RangeArgsSchema,
    TreeSchema,
)
from referrals.services import reports


@blp.route("/referrals/attribution", methods=["GET"])
@blp.login_required(*MARKETING)
@blp.arguments(AttributionArgsSchema, location="query")
@blp.response(200, AttributionSchema)
def get_attribution(args):
    """Clicks, visitors and credited signups, leads and customers per group, for one model"""
    return reports.attribution(**args)


@blp.route("/referrals/funnel", methods=["GET"])
@blp.login_required(*MARKETING)
@blp.arguments(RangeArgsSchema, location="query")
@blp.response(200, FunnelSchema)
def get_funnel(args):
    """Click, visitor, signup, engaged, lead, customer counts of referral traffic"""
    return reports.funnel(**args)


@blp.route("/referrals/leaderboard", methods=["GET"])
@blp.login_required(*MARKETING)
@blp.arguments(LeaderboardArgsSchema, location="query")
@blp.response(200, LeaderboardSchema)
def get_leaderboard(args):
    """Top advocates by credited signups"""
    return reports.leaderboard(**args)


@blp.route("/referrals/tree/<int:member_id>", methods=["GET"])
@blp.login_required(*MARKETING)
@blp.arguments(NoArgsSchema, location="query")
@blp.response(200, TreeSchema)
def get_referral_tree(args, member_id):
    """Whom a member brought, and whom those brought"""
    return reports.referral_tree(member_id)


@blp.route("/referrals/k-factor", methods=["GET"])
@blp.login_required(*MARKETING)
@blp.arguments(KFactorArgsSchema, location="query")
@blp.response(200, KFactorSchema)
def get_k_factor(args):
    """Viral coefficient per period"""
    return reports.k_factor(**args)


@blp.route("/referrals/flags", methods=["GET"])
@blp.login_required(*MARKETING)
@blp.arguments(FlagListArgsSchema, location="query")
@blp.response(200, page_schema(FlagSchema))
def list_flags(args):
    """Conversions flagged as likely fraud, with the reasons"""
    return page(*reports.list_flags(**args))
