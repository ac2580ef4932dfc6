"""Referral links and campaigns, and the redirect's safe destinations."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from core.accounts.models import Member
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.pagination import paginate
from core.routing import MAX_ID
from referrals.models import Campaign

SLUG_PATTERN = re.compile(r"[^a-z0-9]+")
UNSAFE_URL_CHARACTERS = re.compile(r"[\x00-\x20\\\x7f]")


def site_url() -> str:
    return current_app.config["PUBLIC_SITE_URL"].rstrip("/")


def allowed_hosts() -> set[str]:
    hosts = {host.strip().lower() for host in current_app.config["REDIRECT_ALLOWED_HOSTS"]}
    return hosts | {(urlsplit(site_url()).hostname or "").lower()}


def is_safe_destination(url: str) -> bool:
    """An absolute http(s) URL on an allow-listed host: no userinfo, backslashes, spaces or control characters."""
    if not url or UNSAFE_URL_CHARACTERS.search(url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or parts.username is not None or parts.password is not None:
        return False
    return bool(parts.hostname) and parts.hostname.lower() in allowed_hosts() and "@" not in parts.netloc


def referral_link(member: Member) -> dict:
    return {"code": member.referral_code, "url": f"{site_url()}/r/{member.referral_code}"}


def campaign_link(member: Member, campaign: Campaign) -> dict:
    return {
        "code": member.referral_code,
        "url": f"{site_url()}/r/{member.referral_code}?c={campaign.slug}",
        "campaign_id": campaign.id,
    }


def share_link(member: Member, kind: str, content_id: int) -> dict:
    """The sharer's link to a thread or recommendation: the click counts for them, then lands on the
    content (`/r/<code>?content=<kind>-<id>`, which clicks.destination resolves)."""
    content = f"{kind}-{content_id}"
    url = f"{site_url()}/r/{member.referral_code}?content={content}"
    return {"url": url, "code": member.referral_code, "content": content}


def unique_slug(name: str) -> str:
    base = SLUG_PATTERN.sub("-", name.lower()).strip("-")[:50] or "campaign"
    taken = db.session.scalar(sa.select(Campaign.id).where(Campaign.slug == base))
    return base if taken is None else f"{base}-{secrets.token_hex(3)}"


def check_landing_url(url: str) -> str:
    if not is_safe_destination(url):
        hosts = ", ".join(sorted(allowed_hosts()))
        raise ValidationFailed(f"The landing URL must be an http(s) URL on one of: {hosts}.", field="landing_url")
    return url


def create_campaign(data: dict, creator: Member) -> Campaign:
    campaign = Campaign(
        name=data["name"],
        slug=unique_slug(data["name"]),
        landing_url=check_landing_url(data["landing_url"]),
        utm_source=data.get("utm_source"),
        utm_medium=data.get("utm_medium"),
        utm_campaign=data.get("utm_campaign"),
        created_by_id=creator.id,
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign


def update_campaign(campaign: Campaign, changes: dict) -> Campaign:
    if "landing_url" in changes:
        check_landing_url(changes["landing_url"])
    for name, value in changes.items():
        setattr(campaign, name, value)
    db.session.flush()
    return campaign


def get_campaign(campaign_id: int, *, active_only: bool = False) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id) if campaign_id <= MAX_ID else None
    if campaign is None or (active_only and not campaign.active):
        raise NotFound("No such campaign.")
    return campaign


def list_campaigns(*, limit: int, cursor: str | None, include_inactive: bool = False):
    stmt = sa.select(Campaign)
    if not include_inactive:
        stmt = stmt.where(Campaign.active.is_(True))
    return paginate(stmt, [Campaign.id], limit=limit, cursor=cursor)
