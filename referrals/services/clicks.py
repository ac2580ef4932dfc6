"""The /r/<code> hot path: resolve the link in one query, insert the click, pick a safe destination."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from flask import current_app
from ua_parser import parse_device, parse_user_agent

from core.accounts.models import Member
from core.extensions import db
from core.models import utcnow
from core.security import keyed_hash
from referrals.models import Campaign, Click
from referrals.services.links import is_safe_destination, site_url

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{4,16}$")
SLUG_PATTERN = re.compile(r"^[a-z0-9-]{1,60}$")
CONTENT_PATTERN = re.compile(r"^(thread|recommendation)-([1-9][0-9]{0,17})$")
CONTENT_PATHS = {"thread": "threads", "recommendation": "recommendations"}
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
UTM_MAX = 100
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")  # PostgreSQL refuses NUL; none belongs in a UTM value
# Clients that announce themselves as tools rather than browsers.
NON_BROWSER_FAMILIES = frozenset(
    {"curl", "Wget", "Python Requests", "Python-urllib", "Go-http-client", "Java", "okhttp", "HeadlessChrome"}
)

# Core statements built once: the ORM's per-call statement building costs more than the query itself.
INSERT_CLICK = sa.insert(Click.__table__)
RESOLVE_LINK = (
    sa.select(
        Member.id.label("referrer_id"),
        Campaign.id.label("campaign_id"),
        Campaign.landing_url,
        Campaign.utm_source,
        Campaign.utm_medium,
        Campaign.utm_campaign,
    )
    .select_from(Member)
    .outerjoin(Campaign, sa.and_(Campaign.slug == sa.bindparam("slug"), Campaign.active.is_(True)))
    .where(Member.referral_code == sa.bindparam("code"), Member.erased_at.is_(None))
)
# The same, telling PostgreSQL not to wait for the WAL flush when this transaction commits (SET LOCAL,
# in the same round trip): a database crash may lose the last fraction of a second of clicks, and
# nothing else. The commit costs ~1 ms instead of a disk sync.
RESOLVE_LINK_ASYNC_COMMIT = RESOLVE_LINK.add_columns(sa.func.set_config("synchronous_commit", "off", True))


def new_visitor_id() -> str:
    return secrets.token_urlsafe(16)


def resolve_link(code: str, slug: str | None):
    """The referrer and (when `slug` names an active campaign) the campaign, in one query; None if unknown."""
    if not CODE_PATTERN.match(code):
        return None
    slug = slug if slug and SLUG_PATTERN.match(slug) else None
    connection = db.session.connection()
    stmt = RESOLVE_LINK
    if connection.dialect.name == "postgresql" and current_app.config.get("REFERRAL_ASYNC_CLICK_COMMIT", True):
        stmt = RESOLVE_LINK_ASYNC_COMMIT
    return connection.execute(stmt, {"code": code, "slug": slug}).first()


@lru_cache(maxsize=4096)
def classify_user_agent(user_agent: str) -> str:
    """browser, bot or unknown (ua-parser's regexes are slow, so each string is parsed once)."""
    if not user_agent:
        return "unknown"
    device = parse_device(user_agent)
    if device is not None and device.family == "Spider":
        return "bot"
    agent = parse_user_agent(user_agent)
    if agent is None or agent.family == "Other":
        return "unknown"
    return "bot" if agent.family in NON_BROWSER_FAMILIES else "browser"


def referring_host(referrer: str | None) -> str | None:
    """Only the host of the referring page: its path and query may carry personal data."""
    try:
        host = urlsplit(referrer).hostname if referrer else None
    except ValueError:
        return None
    host = CONTROL_CHARACTERS.sub("", host or "")
    return host[:255] or None


def click_utm(link, params: Mapping[str, str]) -> dict:
    """The link's utm_* parameters, falling back to the campaign's defaults."""
    utm = {key: CONTROL_CHARACTERS.sub("", params.get(key) or "").strip()[:UTM_MAX] or None for key in UTM_KEYS}
    for key in ("utm_source", "utm_medium", "utm_campaign"):
        utm[key] = utm[key] or getattr(link, key)
    return utm


def shared_content(value: str | None) -> str | None:
    return value if value and CONTENT_PATTERN.match(value) else None


def record_click(
    link, code: str, *, visitor_id: str, params: Mapping[str, str], referrer: str | None, user_agent: str, address: str
) -> str:
    """Insert the click (one statement) and return the URL to redirect to."""
    content = shared_content(params.get("content"))
    utm = click_utm(link, params)
    db.session.connection().execute(
        INSERT_CLICK,
        {
            "occurred_at": utcnow(),
            "code": code,
            "referrer_id": link.referrer_id,
            "campaign_id": link.campaign_id,
            "visitor_id": visitor_id,
            "channel": "share" if content else "campaign" if link.campaign_id else "link",
            "content": content,
            "referring_host": referring_host(referrer),
            "ua_class": classify_user_agent(user_agent[:512]),
            "ip_hash": keyed_hash(address, "click-ip") if address else None,
            **utm,
        },
    )
    return destination(link, content, utm)


def destination(link, content: str | None, utm: dict) -> str:
    """Shared content's page, else the campaign's landing page, else the site; never any other host."""
    if content:
        kind, content_id = CONTENT_PATTERN.match(content).groups()
        base = f"{site_url()}/{CONTENT_PATHS[kind]}/{content_id}"
    elif link.landing_url and is_safe_destination(link.landing_url):
        base = link.landing_url
    else:
        base = site_url() + "/"
    return with_query(base, {k: v for k, v in utm.items() if v})


def with_query(url: str, extra: dict) -> str:
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in extra]
    return urlunsplit(parts._replace(query=urlencode([*kept, *extra.items()])))
