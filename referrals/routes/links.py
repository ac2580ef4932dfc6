"""Referral links: the public /r/<code> redirect, your links, and campaigns."""

import flask
from flask import current_app, redirect, request
from flask_login import current_user

from core.auth import has_role
from core.caller import VISITOR_COOKIE
from core.errors import NotFound
from core.extensions import db, limiter
from core.pagination import page, page_schema
from referrals.routes.common import MARKETING, blp
from referrals.schemas.links import CampaignListArgsSchema, CampaignSchema, CampaignUpdateSchema, LinkSchema
from referrals.services import clicks, links
from referrals.services.conversions import valid_visitor_id

# Outside /api/v1: the link members share. No login, no session: the hottest path of the service.
public_bp = flask.Blueprint("referral_links", __name__)
limiter.exempt(public_bp)  # floods are recorded and flagged at conversion, not refused here


@public_bp.get("/r/<code>")
def follow_referral_link(code):
    """Record a click on a referral link and redirect to its (allow-listed) destination."""
    visitor_id = valid_visitor_id(request.cookies.get(VISITOR_COOKIE)) or clicks.new_visitor_id()
    target = clicks.follow_link(
        code,
        visitor_id=visitor_id,
        params=request.args.to_dict(),  # a plain dict: a MultiDict's get raises and catches per miss
        referrer=request.headers.get("Referer"),
        user_agent=request.headers.get("User-Agent", ""),
        address=request.remote_addr or "",
    )
    if target is None:
        raise NotFound("No such referral link.")
    return visitor_cookie(redirect(target, 302), visitor_id)


def query_parameter(name: str, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": {"type": "string"}, "description": description}


def document_public_links(spec, url_map) -> None:
    """/r/<code> is a plain Flask view outside the API's blueprints: its OpenAPI entry, by hand."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    parameters = [
        query_parameter("c", "a campaign's slug: its landing URL and UTM defaults"),
        query_parameter("content", "shared content, thread-<id> or recommendation-<id>: redirects to its page"),
        *(query_parameter(key, "kept on the click and passed on to the destination") for key in clicks.UTM_KEYS),
    ]
    redirect_headers = {
        "Location": {"schema": {"type": "string", "format": "uri"}, "description": "an allow-listed destination"},
        "Set-Cookie": {"schema": {"type": "string"}, "description": f"the {VISITOR_COOKIE} visitor cookie"},
    }
    operation = {
        "tags": ["referrals"],
        "operationId": "follow_referral_link",
        "summary": "Follow a referral link (outside /api/v1): record the click, redirect",
        "description": "Records a click (visitor cookie, UTM values, referring host, user-agent class, "
        "hashed IP) and redirects to the campaign's landing page, the shared content or the site. "
        "Only allow-listed hosts: never an open redirect.",
        "security": [],
        "parameters": parameters,
        "responses": {
            "302": {"description": "Redirect to the destination", "headers": redirect_headers},
            "404": {"description": "No such referral link", "content": error},
            "503": {"description": "The click could not be recorded: no redirect without its click", "content": error},
            "default": {"description": "Error", "content": error},
        },
    }
    code = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}, "description": "a code"}
    [rule] = url_map.iter_rules(f"{public_bp.name}.{follow_referral_link.__name__}")
    spec.path(rule=rule, operations={"get": operation}, parameters=[code])


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
