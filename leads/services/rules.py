"""Scoring rules: defaults, the rules in force, fit rules as one SQL expression."""

from __future__ import annotations

import copy
import json
import math
from datetime import UTC, datetime
from functools import lru_cache

import sqlalchemy as sa

from core.accounts.models import Member
from core.extensions import db
from core.models import utcnow
from core.signals import (
    ANSWER_ACCEPTED,
    CONTENT_SHARED,
    POST_CREATED,
    REACTION_GIVEN,
    REACTION_RECEIVED,
    RECOMMENDATION_ENDORSED,
    RECOMMENDATION_MADE,
    REFERRAL_SIGNUP,
    THREAD_CREATED,
)
from leads.models import MemberScore, ScoringRules
from leads.services.common import days_since_unix, insert_ignoring_conflicts

RULES_ID = 1
# The fixed epoch E the stored sums are relative to; a rescore moves it to its own day.
DEFAULT_EPOCH_DAYS = days_since_unix(datetime(2026, 1, 1, tzinfo=UTC))
FREE_MAIL_DOMAINS = (
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
    "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "web.de",
    "mail.com", "yandex.com", "zoho.com", "fastmail.com", "hey.com",
)  # fmt: skip
DEFAULT_RULES = {
    "weights": {
        THREAD_CREATED: 5.0,
        POST_CREATED: 3.0,
        REACTION_GIVEN: 1.0,
        REACTION_RECEIVED: 2.0,
        ANSWER_ACCEPTED: 10.0,
        RECOMMENDATION_MADE: 8.0,
        RECOMMENDATION_ENDORSED: 3.0,
        CONTENT_SHARED: 4.0,
        REFERRAL_SIGNUP: 10.0,
        # What ingestion records from the brand's site (Segment events), leads' own.
        "page_viewed": 1.0,
        "pricing_viewed": 8.0,
        "demo_requested": 30.0,
        "email_unsubscribed": -10.0,
    },
    "daily_caps": {REACTION_GIVEN: 10, "page_viewed": 20},
    "half_life_days": 30.0,
    "thresholds": {"engaged": 10.0, "mql": 40.0},
    "fit_rules": [
        {"attribute": "email_domain", "operator": "eq", "value": "business", "points": 10.0},
        {"attribute": "job_title", "operator": "contains", "value": ["head", "director", "vp", "chief"], "points": 5.0},
        {"attribute": "company_size", "operator": "gte", "value": 50, "points": 5.0},
    ],
}
RESCORE_KEYS = ("weights", "daily_caps", "half_life_days", "fit_rules")


# Stored terms grow as 2^((t − E)/H). Once (now − E)/H passes this many half-lives, E moves to
# today and every stored sum is scaled down to match (rebase_epoch): sums stay below
# 2^REBASE_AFTER_HALF_LIVES times their points, far from float overflow (2^1024), whatever H is.
REBASE_AFTER_HALF_LIVES = 128.0


def current_rules(*, for_scoring: bool = False, for_update: bool = False) -> ScoringRules:
    """The single rules row (made on first use). Scoring takes a shared lock on it, so a
    rescore's swap (which locks it for update) never interleaves with an incremental update;
    scoring also re-bases the epoch when it has grown old (under an exclusive lock, taken first)."""
    stmt = sa.select(ScoringRules).where(ScoringRules.id == RULES_ID)
    if for_scoring and not for_update:
        return rules_for_scoring(stmt)
    rules = db.session.scalar(stmt)
    if rules is None:
        values = {"config": DEFAULT_RULES, "epoch_days": DEFAULT_EPOCH_DAYS, "updated_at": utcnow()}
        insert_ignoring_conflicts(ScoringRules.__table__, {"id": RULES_ID, **values, "active_config": DEFAULT_RULES})
        rules = db.session.scalar(stmt)
    if for_update:
        return db.session.scalar(stmt.with_for_update().execution_options(populate_existing=True))
    return rules


# What scoring needs to know before it locks the rules: whether the epoch must move first.
EPOCH_STATE = sa.select(ScoringRules.epoch_days, ScoringRules.active_config["half_life_days"].as_float()).where(
    ScoringRules.id == RULES_ID
)


def rules_for_scoring(stmt: sa.Select) -> ScoringRules:
    """The rules under a shared lock, read fresh. The epoch is checked first by a plain read of two
    numbers: re-basing needs the exclusive lock, taken before any shared one (two batches holding
    the shared lock and both asking for the exclusive one would deadlock)."""
    state = db.session.execute(EPOCH_STATE).one_or_none()
    if state is None:
        current_rules()  # made on first use
    elif past_rebase(*state):
        rules = db.session.scalar(stmt.with_for_update().execution_options(populate_existing=True))
        if epoch_is_old(rules):
            rebase_epoch(rules)
    return db.session.scalar(stmt.with_for_update(read=True).execution_options(populate_existing=True))


def epoch_is_old(rules: ScoringRules, at: datetime | None = None) -> bool:
    return past_rebase(rules.epoch_days, rules.active_config["half_life_days"], at)


def past_rebase(epoch_days: float, half_life_days: float, at: datetime | None = None) -> bool:
    elapsed = days_since_unix(at or utcnow()) - epoch_days
    return elapsed / half_life_days > REBASE_AFTER_HALF_LIVES


def rebase_epoch(rules: ScoringRules) -> None:
    """Move E to today: every stored sum times 2^((E − E')/H), one set-based UPDATE."""
    new_epoch = float(math.floor(days_since_unix(utcnow())))
    scale = 2.0 ** ((rules.epoch_days - new_epoch) / rules.active_config["half_life_days"])
    db.session.execute(
        sa.update(MemberScore)
        .values(engagement_sum=MemberScore.engagement_sum * scale)
        .execution_options(synchronize_session=False)
    )
    rules.epoch_days = new_epoch
    db.session.flush()


def decay_factor(rules: ScoringRules, at: datetime | None = None) -> float:
    """2^(−(t − E)/H): engagement now = S · this factor, the same for every member."""
    return decay_at(rules.epoch_days, rules.active_config["half_life_days"], at)


def decay_at(epoch_days: float, half_life_days: float, at: datetime | None = None) -> float:
    """decay_factor from its two terms."""
    return 2.0 ** (-(days_since_unix(at or utcnow()) - epoch_days) / half_life_days)


# The two numbers a read of current scores needs, without loading (and parsing) the rules.
DECAY_TERMS = sa.select(ScoringRules.epoch_days, ScoringRules.active_config["half_life_days"].as_float()).where(
    ScoringRules.id == RULES_ID
)


def current_decay(at: datetime | None = None) -> float:
    """decay_factor of the current rules at `at` (now): for lists, which read scores only."""
    terms = db.session.execute(DECAY_TERMS).first()
    return decay_at(*terms, at) if terms is not None else decay_factor(current_rules(), at)


def needs_rescore(old: dict, new: dict) -> bool:
    return any(old.get(key) != new.get(key) for key in RESCORE_KEYS)


def merged(config: dict) -> dict:
    return {**copy.deepcopy(DEFAULT_RULES), **copy.deepcopy(config)}


def keywords(value) -> list[str]:
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip().lower() for item in items if str(item).strip()]


def email_domain_is_free():
    return sa.or_(*[Member.email_normalized.like(f"%@{domain}") for domain in FREE_MAIL_DOMAINS])


def rule_condition(rule: dict):
    attribute, operator, value = rule["attribute"], rule["operator"], rule["value"]
    if attribute == "member_type":
        values = value if isinstance(value, list) else [value]
        return Member.member_type.not_in(values) if operator == "neq" else Member.member_type.in_(values)
    if attribute == "job_title":
        title = sa.func.lower(sa.func.coalesce(Member.job_title, ""))
        matches = sa.or_(*[title.contains(word, autoescape=True) for word in keywords(value)] or [sa.false()])
        return sa.not_(matches) if operator == "neq" else matches
    if attribute == "email_domain":
        free = email_domain_is_free()
        wants_free = (value == "free_mail") != (operator == "neq")
        return free if wants_free else sa.not_(free)
    size = MemberScore.company_size
    number = float(value)
    comparisons = {"gte": size >= number, "lte": size <= number, "eq": size == number, "neq": size != number}
    return sa.and_(size.is_not(None), comparisons[operator])


def fit_expression(fit_rules: list[dict]):
    """Σ points of matching rules, over `members` joined with `lead_scores`: built once per set of
    rules (every batch scored needs it, and the free-mail test alone is a LIKE per domain)."""
    return fit_expression_of(json.dumps(fit_rules, sort_keys=True))


@lru_cache(maxsize=32)
def fit_expression_of(fit_rules_json: str):
    terms = [sa.case((rule_condition(rule), float(rule["points"])), else_=0.0) for rule in json.loads(fit_rules_json)]
    return sum(terms[1:], terms[0]) if terms else sa.literal(0.0)


def matched_rules(member_id: int, fit_rules: list[dict]) -> int:
    conditions = [sa.case((rule_condition(rule), 1), else_=0) for rule in fit_rules]
    if not conditions:
        return 0
    stmt = sa.select(sum(conditions[1:], conditions[0])).select_from(Member).join(MemberScore)
    return db.session.scalar(stmt.where(Member.id == member_id)) or 0
