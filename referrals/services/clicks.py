"""The /r/<code> hot path: record the click in one statement, pick a safe destination."""

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
from core.caller import keyed_hash
from core.extensions import db
from core.models import utcnow
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

# The click in one statement, built once: INSERT INTO referral_clicks SELECT ... FROM members LEFT JOIN
# the active campaign WHERE the code matches, RETURNING what the redirect needs. An unknown code inserts
# nothing and returns no row. One round trip instead of a SELECT then an INSERT, and no per-call
# statement building (the ORM's costs more than the query itself).
CAMPAIGN_UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign")  # a campaign's defaults


def param(name: str) -> sa.BindParameter:
    return sa.bindparam(name, type_=Click.__table__.c[name].type)


def campaign_default(key: str):
    """The link's utm value, else the campaign's default (the link's own value wins)."""
    return sa.func.coalesce(param(key), getattr(Campaign, key)) if key in CAMPAIGN_UTM_KEYS else param(key)


CLICK_VALUES = {
    "occurred_at": param("occurred_at"),
    "code": param("code"),
    "referrer_id": Member.id,
    "campaign_id": Campaign.id,
    "visitor_id": param("visitor_id"),
    # "share" for shared content, else "campaign" or "link" by whether the campaign resolved.
    "channel": sa.case((Campaign.id.is_(None), sa.bindparam("link_channel")), else_=sa.bindparam("campaign_channel")),
    "content": param("content"),
    "referring_host": param("referring_host"),
    "ua_class": param("ua_class"),
    "ip_hash": param("ip_hash"),
    **{key: campaign_default(key) for key in UTM_KEYS},
}


def click_statement(*, async_commit: bool):
    link = (
        sa.select(*CLICK_VALUES.values())
        .select_from(Member)
        .outerjoin(Campaign, sa.and_(Campaign.slug == sa.bindparam("slug"), Campaign.active.is_(True)))
        .where(Member.referral_code == sa.bindparam("code"), Member.erased_at.is_(None))
    )
    if async_commit:
        # Tell PostgreSQL not to wait for the WAL flush when this transaction commits (SET LOCAL, in the
        # same statement): a database crash may lose the last fraction of a second of clicks, and
        # nothing else. The commit costs ~1 ms instead of a disk sync.
        link = link.where(sa.func.set_config("synchronous_commit", "off", True).is_not(None))
    clicks = Click.__table__
    # RETURNING sees only the inserted row: the campaign's landing URL comes from a subquery by primary key.
    landing_url = sa.literal_column(
        "(SELECT landing.landing_url FROM referral_campaigns AS landing"
        " WHERE landing.id = referral_clicks.campaign_id)",
        sa.String,
    )
    return (
        sa.insert(clicks)
        .from_select(list(CLICK_VALUES), link)
        .returning(clicks.c.campaign_id, landing_url.label("landing_url"), *(clicks.c[key] for key in UTM_KEYS))
    )


RECORD_CLICK = click_statement(async_commit=False)
RECORD_CLICK_ASYNC_COMMIT = click_statement(async_commit=True)


def new_visitor_id() -> str:
    return secrets.token_urlsafe(16)


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


def link_utm(params: Mapping[str, str]) -> dict:
    """The link's own utm_* parameters, cleaned (the campaign's defaults fill the gaps in SQL)."""
    return {key: CONTROL_CHARACTERS.sub("", params.get(key) or "").strip()[:UTM_MAX] or None for key in UTM_KEYS}


def shared_content(value: str | None) -> str | None:
    return value if value and CONTENT_PATTERN.match(value) else None


def record_click(
    code: str, *, visitor_id: str, params: Mapping[str, str], referrer: str | None, user_agent: str, address: str
) -> str | None:
    """Insert the click (one statement) and return the URL to redirect to; None for an unknown code."""
    if not CODE_PATTERN.match(code):
        return None
    slug = params.get("c")
    content = shared_content(params.get("content"))
    connection = db.session.connection()
    stmt = RECORD_CLICK
    if connection.dialect.name == "postgresql" and current_app.config["REFERRAL_ASYNC_CLICK_COMMIT"]:
        stmt = RECORD_CLICK_ASYNC_COMMIT
    link = connection.execute(
        stmt,
        {
            "code": code,
            "slug": slug if slug and SLUG_PATTERN.match(slug) else None,
            "occurred_at": utcnow(),
            "visitor_id": visitor_id,
            "link_channel": "share" if content else "link",
            "campaign_channel": "share" if content else "campaign",
            "content": content,
            "referring_host": referring_host(referrer),
            "ua_class": classify_user_agent(user_agent[:512]),
            "ip_hash": keyed_hash(address, "click-ip") if address else None,
            **link_utm(params),
        },
    ).first()
    return None if link is None else destination(link, content)


def destination(link, content: str | None) -> str:
    """Shared content's page, else the campaign's landing page, else the site; never any other host."""
    if content:
        kind, content_id = CONTENT_PATTERN.match(content).groups()
        base = f"{site_url()}/{CONTENT_PATHS[kind]}/{content_id}"
    elif link.landing_url and is_safe_destination(link.landing_url):
        base = link.landing_url
    else:
        base = site_url() + "/"
    return with_query(base, {key: value for key in UTM_KEYS if (value := getattr(link, key))})


def with_query(url: str, extra: dict) -> str:
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in extra]
    return urlunsplit(parts._replace(query=urlencode([*kept, *extra.items()])))
