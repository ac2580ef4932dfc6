import flask
from flask import current_app, redirect, request
from flask_login import current_user

from core.auth import Blueprint, has_role
from core.caller import VISITOR_COOKIE
from core.errors import NotFound
from core.extensions import db, limiter
from core.pagination import page, page_schema
from core.schemas import PageArgsSchema
from referrals.schemas import (
    AttributionArgsSchema,
    AttributionSchema,
    CampaignListArgsSchema,
    CampaignSchema,
    CampaignUpdateSchema,
    FlagListArgsSchema,
    FlagSchema,
    FunnelSchema,
    KFactorArgsSchema,
    KFactorSchema,
    LeaderboardArgsSchema,
    LeaderboardSchema,
    LedgerArgsSchema,
    LinkSchema,
    RangeArgsSchema,
    RewardEntrySchema,
    RewardRuleSchema,
    RewardRuleUpdateSchema,
    TreeSchema,
)
from referrals.services import clicks, links, reports, rewards
from referrals.services.conversions import valid_visitor_id

MARKETING = ("marketer", "admin")

blp = Blueprint(
    "referrals", __name__, description="Referral links and campaigns, click tracking, attribution and fraud controls."
)
# Outside /api/v1: the link members share. No login, no session: the hottest path of the service.
public_bp = flask.Blueprint("referral_links", __name__)
limiter.exempt(public_bp)  # floods are recorded and flagged at conversion, not refused here


@public_bp.get("/r/<code>")
def follow_referral_link(code):
    """Record a click on a referral link and redirect to its (allow-listed) destination."""
    visitor_id = valid_visitor_id(request.cookies.get(VISITOR_COOKIE)) or clicks.new_visitor_id()
    target = clicks.record_click(
        code,
        visitor_id=visitor_id,
        params=request.args,
        referrer=request.headers.get("Referer"),
        user_agent=request.headers.get("User-Agent", ""),
        address=request.remote_addr or "",
    )
    if target is None:
        raise NotFound("No such referral link.")
    db.session.commit()
    return visitor_cookie(redirect(target, 302), visitor_id)


def visitor_cookie(response, visitor_id: str):
    config = current_app.config
    response.set_cookie(
        VISITOR_COOKIE,
        visitor_id,
        max_age=config["REFERRAL_VISITOR_COOKIE_DAYS"] * 86400,
        httponly=True,
        samesite="Lax",
        secure=config["SESSION_COOKIE_SECURE"],
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/me/referral-link", methods=["GET"])
@blp.login_required()
@blp.response(200, LinkSchema)
def get_my_referral_link():
    """Your personal referral link"""
    return links.referral_link(current_user)


@blp.route("/referrals/campaigns", methods=["GET"])
@blp.login_required()
@blp.arguments(CampaignListArgsSchema, location="query")
@blp.response(200, page_schema(CampaignSchema))
def list_campaigns(args):
    """Referral campaigns (inactive ones only for marketers and admins)"""
    include_inactive = args.pop("include_inactive") and has_role(current_user, "marketer")
    return page(*links.list_campaigns(**args, include_inactive=include_inactive))


@blp.route("/referrals/campaigns", methods=["POST"])
@blp.login_required(*MARKETING)
@blp.arguments(CampaignSchema)
@blp.response(201, CampaignSchema)
def create_campaign(data):
    """Create a campaign with a landing URL on an allow-listed host"""
    campaign = links.create_campaign(data, current_user)
    db.session.commit()
    return campaign


@blp.route("/referrals/campaigns/<int:campaign_id>", methods=["GET"])
@blp.login_required()
@blp.response(200, CampaignSchema)
def get_campaign(campaign_id):
    """One referral campaign"""
    return links.get_campaign(campaign_id, active_only=not has_role(current_user, "marketer"))


@blp.route("/referrals/campaigns/<int:campaign_id>", methods=["PATCH"])
@blp.login_required(*MARKETING)
@blp.arguments(CampaignUpdateSchema(partial=True))
@blp.response(200, CampaignSchema)
def update_campaign(changes, campaign_id):
    """Rename a campaign, change its landing URL or UTM defaults, or deactivate it"""
    campaign = links.update_campaign(links.get_campaign(campaign_id), changes)
    db.session.commit()
    return campaign


@blp.route("/referrals/campaigns/<int:campaign_id>/link", methods=["GET"])
@blp.login_required()
@blp.response(200, LinkSchema)
def get_campaign_link(campaign_id):
    """Your referral link for one campaign"""
    return links.campaign_link(current_user, links.get_campaign(campaign_id, active_only=True))


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
@blp.response(200, TreeSchema)
def get_referral_tree(member_id):
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


@blp.route("/referrals/reward-rules", methods=["GET"])
@blp.login_required(*MARKETING)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(RewardRuleSchema))
def list_reward_rules(args):
    """Double-sided reward rules"""
    return page(*rewards.list_rules(**args))


@blp.route("/referrals/reward-rules", methods=["POST"])
@blp.login_required(*MARKETING)
@blp.arguments(RewardRuleSchema)
@blp.response(201, RewardRuleSchema)
def create_reward_rule(data):
    """Reward the referrer and the referred member on signup, first post or becoming a customer"""
    rule = rewards.create_rule(data, current_user)
    db.session.commit()
    return rule


@blp.route("/referrals/reward-rules/<int:rule_id>", methods=["PATCH"])
@blp.login_required(*MARKETING)
@blp.arguments(RewardRuleUpdateSchema)
@blp.response(200, RewardRuleSchema)
def update_reward_rule(changes, rule_id):
    """Change a rule's amounts or switch it off (granted rewards stay in the ledger)"""
    rule = rewards.update_rule(rewards.get_rule(rule_id), changes)
    db.session.commit()
    return rule


@blp.route("/referrals/rewards", methods=["GET"])
@blp.login_required(*MARKETING)
@blp.arguments(LedgerArgsSchema, location="query")
@blp.response(200, page_schema(RewardEntrySchema))
def list_rewards(args):
    """The reward ledger, newest first"""
    return page(*rewards.list_ledger(**args))


@blp.route("/referrals/rewards/export.csv", methods=["GET"])
@blp.login_required(*MARKETING)
@blp.doc(responses={"200": {"description": "The whole ledger as CSV", "content": {"text/csv": {}}}})
def export_rewards():
    """The reward ledger as CSV, for payouts"""
    headers = {"Content-Disposition": "attachment; filename=referral-rewards.csv"}
    return flask.Response(flask.stream_with_context(rewards.ledger_csv()), mimetype="text/csv", headers=headers)


@blp.route("/me/rewards", methods=["GET"])
@blp.login_required()
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(RewardEntrySchema))
def list_my_rewards(args):
    """Rewards you earned by referring, or by being referred"""
    return page(*rewards.list_ledger(**args, member_id=current_user.id))
