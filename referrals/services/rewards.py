"""Optional double-sided rewards: rules per campaign, and a ledger granted once per rule and side."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from core.accounts.models import Member
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.pagination import paginate
from core.routing import MAX_ID
from core.signals import POST_CREATED, THREAD_CREATED
from core.spreadsheets import safe_cell
from referrals.models import Campaign, Conversion, RewardEntry, RewardRule, Touch

logger = logging.getLogger(__name__)
FIRST_POST_ACTIVITIES = (THREAD_CREATED, POST_CREATED)
CSV_COLUMNS = (
    "id",
    "created_at",
    "member_id",
    "email",
    "display_name",
    "side",
    "trigger",
    "amount",
    "unit",
    "referred_member_id",
    "rule_id",
)


def create_rule(data: dict, creator: Member) -> RewardRule:
    campaign_id = data.get("campaign_id")
    if campaign_id is not None and (campaign_id > MAX_ID or db.session.get(Campaign, campaign_id) is None):
        raise ValidationFailed("No such campaign.", field="campaign_id")
    rule = RewardRule(**data, created_by_id=creator.id)
    db.session.add(rule)
    db.session.flush()
    return rule


def get_rule(rule_id: int) -> RewardRule:
    rule = db.session.get(RewardRule, rule_id) if rule_id <= MAX_ID else None
    if rule is None:
        raise NotFound("No such reward rule.")
    return rule


def update_rule(rule: RewardRule, changes: dict) -> RewardRule:
    for name, value in changes.items():
        setattr(rule, name, value)
    db.session.flush()
    return rule


def list_rules(*, limit: int, cursor: str | None):
    return paginate(sa.select(RewardRule), [RewardRule.id], limit=limit, cursor=cursor)


def matching_rules(signup: Conversion, trigger: str) -> list[RewardRule]:
    campaigns = sa.select(Touch.campaign_id).where(Touch.conversion_id == signup.id, Touch.campaign_id.is_not(None))
    stmt = sa.select(RewardRule).where(
        RewardRule.active.is_(True),
        RewardRule.trigger == trigger,
        sa.or_(RewardRule.campaign_id.is_(None), RewardRule.campaign_id.in_(campaigns)),
    )
    return list(db.session.scalars(stmt))


def grant_rewards(signup: Conversion, trigger: str, at: datetime) -> None:
    """Reward both sides of an unflagged referral for `trigger`; granting twice changes nothing."""
    if signup.flagged or signup.referred_by_id is None:
        return
    for rule in matching_rules(signup, trigger):
        sides = (
            ("referrer", signup.referred_by_id, rule.referrer_amount),
            ("referee", signup.member_id, rule.referee_amount),
        )
        for side, member_id, amount in sides:
            if amount > 0:
                add_entry(rule, side, member_id, signup.member_id, amount, at)


def add_entry(rule: RewardRule, side: str, member_id: int, referred_member_id: int, amount: int, at: datetime) -> None:
    exists = sa.select(RewardEntry.id).where(
        RewardEntry.rule_id == rule.id, RewardEntry.referred_member_id == referred_member_id, RewardEntry.side == side
    )
    if db.session.scalar(exists) is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                RewardEntry(
                    rule_id=rule.id,
                    member_id=member_id,
                    side=side,
                    referred_member_id=referred_member_id,
                    trigger=rule.trigger,
                    amount=amount,
                    unit=rule.unit,
                    created_at=at,
                )
            )
    except IntegrityError:
        logger.info("reward of rule %s for member %s was granted concurrently", rule.id, referred_member_id)


def grant_for_activity(member_id: int, activity_type: str, at: datetime) -> None:
    """A referred member's first thread or post can trigger a first-post rule."""
    if activity_type in FIRST_POST_ACTIVITIES:
        grant_first_post_rewards(member_id, at)


def grant_first_post_rewards(member_id: int, at: datetime) -> None:
    """Called for every new thread or post: one indexed query unless a first-post rule can apply."""
    any_rule = sa.exists().where(RewardRule.trigger == "first_post", RewardRule.active.is_(True))
    signup = db.session.scalar(
        sa.select(Conversion).where(
            Conversion.member_id == member_id, Conversion.kind == "signup", Conversion.flagged.is_(False), any_rule
        )
    )
    if signup is not None:
        grant_rewards(signup, "first_post", at)


def ledger_query(member_id: int | None = None) -> sa.Select:
    stmt = sa.select(RewardEntry)
    return stmt.where(RewardEntry.member_id == member_id) if member_id is not None else stmt


def list_ledger(*, limit: int, cursor: str | None, member_id: int | None = None):
    return paginate(ledger_query(member_id), [RewardEntry.id], limit=limit, cursor=cursor)


def ledger_csv() -> Iterator[str]:
    """The whole ledger as CSV lines, read in batches (never all rows in memory)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    columns = [getattr(RewardEntry, c) for c in CSV_COLUMNS if c not in ("email", "display_name")]
    stmt = (
        sa.select(*columns, Member.email, Member.display_name)
        .join(Member, Member.id == RewardEntry.member_id)
        .order_by(RewardEntry.id)
        .execution_options(yield_per=500)
    )
    for row in db.session.execute(stmt):
        values = row._mapping
        writer.writerow([safe_cell(values[c]) for c in CSV_COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
