"""The /r/<code> hot path: one read, the click appended to the spool, a safe destination."""

from __future__ import annotations

import logging
import re
import secrets
import threading
from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from cachetools import TTLCache
from flask import current_app
from ua_parser import parse_device, parse_user_agent

from core.accounts.models import Member
from core.caller import keyed_hash
from core.errors import DomainError
from core.extensions import db
from core.models import utcnow
from referrals.models import Campaign
from referrals.services.draining import spool_directory, start_drainer
from referrals.services.links import is_safe_destination, site_url
from referrals.services.spool import ClickSpool

logger = logging.getLogger(__name__)
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

CAMPAIGN_UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign")  # a campaign's defaults
UA_MAX = 512  # longer user agents are cut before parsing: ua-parser's regexes are slow on long strings
# The only read of the hot path: the code's member, and the campaign when the link names an active one.
RESOLVE_LINK = (
    sa.select(
        Member.id.label("referrer_id"),
        Campaign.id.label("campaign_id"),
        Campaign.landing_url,
        *(getattr(Campaign, key) for key in CAMPAIGN_UTM_KEYS),
    )
    .select_from(Member)
    .outerjoin(Campaign, sa.and_(Campaign.slug == sa.bindparam("slug"), Campaign.active.is_(True)))
    .where(Member.referral_code == sa.bindparam("code"), Member.erased_at.is_(None))
)


def new_visitor_id() -> str:
    return secrets.token_urlsafe(16)


def classify_user_agent(user_agent: str) -> str:
    """browser, bot or unknown, from the first UA_MAX characters."""
    return classify_cut_user_agent(user_agent[:UA_MAX])


@lru_cache(maxsize=4096)
def classify_cut_user_agent(user_agent: str) -> str:
    """(ua-parser's regexes are slow, so each string is parsed once.)"""
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
    """The link's own utm_* parameters, cleaned (the campaign's defaults fill the gaps)."""
    return {key: clean_utm(value) if (value := params.get(key)) else None for key in UTM_KEYS}


def clean_utm(value: str) -> str | None:
    return CONTROL_CHARACTERS.sub("", value).strip()[:UTM_MAX] or None


def shared_content(value: str | None) -> str | None:
    return value if value and CONTENT_PATTERN.match(value) else None


def follow_link(
    code: str, *, visitor_id: str, params: Mapping[str, str], referrer: str | None, user_agent: str, address: str
) -> str | None:
    """Spool the click and return the URL to redirect to; None (nothing recorded) for an unknown code."""
    if not CODE_PATTERN.match(code):
        return None
    slug = params.get("c")
    link = resolve_link(code, slug if slug and SLUG_PATTERN.match(slug) else None)
    if link is None:
        return None
    content = shared_content(params.get("content"))
    utm = link_utm(params)
    if link.campaign_id is not None:
        for key in CAMPAIGN_UTM_KEYS:
            utm[key] = getattr(link, key) if utm[key] is None else utm[key]
    record_click(
        {
            "occurred_at": utcnow(),
            "code": code,
            "referrer_id": link.referrer_id,
            "campaign_id": link.campaign_id,
            "visitor_id": visitor_id,
            "channel": "share" if content else "link" if link.campaign_id is None else "campaign",
            "content": content,
            "referring_host": referring_host(referrer),
            "ua_class": classify_user_agent(user_agent),
            "ip_hash": keyed_hash(address, "click-ip") if address else None,
            **utm,
        }
    )
    return destination(link.landing_url, content, utm)


class ClickNotRecorded(DomainError):
    """The spool could not take the click (e.g. a full disk): no redirect without its click."""

    code, status = 503, "Service Unavailable"


def record_click(click: dict) -> None:
    try:
        click_spool().append(click)
    except OSError:
        logger.exception("could not spool a click")
        raise ClickNotRecorded("The click could not be recorded; try again shortly.") from None


def resolve_link(code: str, slug: str | None):
    """The link's member and campaign (None: no such code), from this process's cache when it has them
    from the last REFERRAL_LINK_CACHE_SECONDS: a hot link costs no database round trip."""
    cache = current_app.extensions.get("referral_link_cache")
    if cache is None:
        ttl = current_app.config["REFERRAL_LINK_CACHE_SECONDS"]
        cache = current_app.extensions["referral_link_cache"] = LinkCache(ttl) if ttl > 0 else False
    if cache is False:
        return db.session.execute(RESOLVE_LINK, {"code": code, "slug": slug}).first()
    return cache.get((code, slug), lambda: db.session.execute(RESOLVE_LINK, {"code": code, "slug": slug}).first())


class LinkCache:
    """A bounded TTL cache (cachetools) that threaded workers may share."""

    def __init__(self, ttl: float, size: int = 10_000):
        self.entries, self.lock = TTLCache(maxsize=size, ttl=ttl), threading.Lock()

    def get(self, key, load):
        with self.lock:
            if key in self.entries:
                return self.entries[key]
        value = load()
        with self.lock:
            self.entries[key] = value
        return value


def click_spool() -> ClickSpool:
    """This app's spool writer; the first click of a process also starts its drainer thread."""
    app = current_app._get_current_object()
    spool = app.extensions.get("referral_click_spool")
    if spool is None:
        spool = ClickSpool(spool_directory(), app.config["REFERRAL_CLICK_SPOOL_ROTATE_BYTES"])
        app.extensions["referral_click_spool"] = spool
    start_drainer(app)
    return spool


def destination(landing_url: str | None, content: str | None, utm: dict) -> str:
    """Shared content's page, else the campaign's landing page, else the site; never any other host."""
    if content:
        kind, content_id = CONTENT_PATTERN.match(content).groups()
        base = f"{site_url()}/{CONTENT_PATHS[kind]}/{content_id}"
    elif landing_url and is_safe_destination(landing_url):
        base = landing_url
    else:
        base = site_url() + "/"
    return with_query(base, tuple((key, value) for key, value in utm.items() if value))


@lru_cache(maxsize=4096)
def with_query(url: str, extra: tuple[tuple[str, str], ...]) -> str:
    """The URL with these query parameters set (each destination is built once per process)."""
    parts = urlsplit(url)
    names = {name for name, _ in extra}
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in names]
    return urlunsplit(parts._replace(query=urlencode([*kept, *extra])))
