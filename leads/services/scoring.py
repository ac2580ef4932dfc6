"""The ledger and incremental scoring: each activity is O(1) whatever the member's history."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from core.accounts.models import Member
from core.extensions import db
from core.models import utcnow
from leads.models import Activity, DailyCount, Lead, MemberScore, ScoringRules
from leads.services.common import days_since_unix, insert_ignoring_conflicts, record_conversion
from leads.services.rules import current_rules, decay_factor, fit_expression

logger = logging.getLogger(__name__)


def record_activity(
    member_id: int | None,
    activity_type: str,
    occurred_at: datetime,
    *,
    source: str,
    message_id: str | None = None,
    subject_type: str | None = None,
    subject_id: int | None = None,
    properties: dict | None = None,
    anonymous_id: str | None = None,
    user_id: str | None = None,
) -> int | None:
    """Write one ledger row (deduplicated by message id) and score it; None if a duplicate."""
    days = days_since_unix(occurred_at)
    activity_id = insert_ignoring_conflicts(
        Activity.__table__,
        {
            "message_id": message_id or f"{source}:{uuid.uuid4().hex}",
            "member_id": member_id,
            "anonymous_id": anonymous_id,
            "user_id": user_id,
            "source": source,
            "activity_type": activity_type,
            "occurred_at": occurred_at,
            "occurred_days": days,
            "day": int(days // 1),
            "subject_type": subject_type,
            "subject_id": subject_id,
            "properties": properties or {},
            "points": 0.0,
            "decayed": 0.0,
            "scored": False,
            "received_at": utcnow(),
        },
        returning=Activity.id,
    )
    if activity_id is not None and member_id is not None:
        score_activity(activity_id)
    return activity_id


def lock_scores(member_ids: list[int]) -> None:
    """Create and lock the score rows a batch will touch, in member-id order, before touching any:
    concurrent batches over overlapping members then queue instead of deadlocking."""
    ids = sorted(set(member_ids))
    if not ids:
        return
    current_rules(for_scoring=True)  # the same lock order as score_activity: rules first
    rows = [{"member_id": member_id, "engagement_sum": 0.0, "fit": 0.0, "stage": "member"} for member_id in ids]
    insert_ignoring_conflicts(MemberScore.__table__, rows)
    db.session.execute(
        sa.select(MemberScore.member_id).where(MemberScore.member_id.in_(ids)).order_by(MemberScore.member_id)
        .with_for_update()
    )  # fmt: skip


def ensure_score_row(member: Member) -> None:
    insert_ignoring_conflicts(
        MemberScore.__table__,
        {"member_id": member.id, "engagement_sum": 0.0, "fit": 0.0, "stage": "member"},
    )
    organization = organization_of(member)
    db.session.execute(
        sa.update(MemberScore)
        .where(MemberScore.member_id == member.id, MemberScore.organization.is_distinct_from(organization))
        .values(organization=organization)
        .execution_options(synchronize_session=False)
    )


def organization_of(member: Member) -> str | None:
    """Stated company, else the business email domain: how accounts are grouped."""
    from leads.services.rules import FREE_MAIL_DOMAINS

    if member.company and member.company.strip():
        return member.company.strip().lower()[:120]
    domain = member.email_normalized.rpartition("@")[2]
    return domain if domain and domain not in FREE_MAIL_DOMAINS and not domain.endswith(".invalid") else None


def capped_points(activity: Activity, config: dict) -> float:
    weight = float(config["weights"].get(activity.activity_type, 0.0))
    cap = config["daily_caps"].get(activity.activity_type)
    if cap is None:
        return weight
    key = {"member_id": activity.member_id, "activity_type": activity.activity_type, "day": activity.day}
    insert_ignoring_conflicts(DailyCount.__table__, {**key, "count": 0})
    count = db.session.execute(
        sa.update(DailyCount)
        .where(*[getattr(DailyCount, name) == value for name, value in key.items()])
        .values(count=DailyCount.count + 1)
        .returning(DailyCount.count)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return weight if count <= cap else 0.0


def score_activity(activity_id: int) -> None:
    """Add one activity's epoch-relative points to its member's sum: S = S + w·2^((t−E)/H)."""
    activity = db.session.get(Activity, activity_id)
    member = db.session.get(Member, activity.member_id)
    if activity.scored or member is None:
        return
    rules = current_rules(for_scoring=True)
    config = rules.active_config
    ensure_score_row(member)
    points = capped_points(activity, config)
    decayed = points * 2.0 ** ((activity.occurred_days - rules.epoch_days) / config["half_life_days"])
    activity.points, activity.decayed, activity.scored = points, decayed, True
    latest = sa.case(
        (sa.or_(MemberScore.last_activity_at.is_(None), MemberScore.last_activity_at < activity.occurred_at),
         sa.literal(activity.occurred_at, type_=Activity.occurred_at.type)),
        else_=MemberScore.last_activity_at,
    )  # fmt: skip
    db.session.execute(
        sa.update(MemberScore)
        .where(MemberScore.member_id == member.id)
        .values(engagement_sum=MemberScore.engagement_sum + decayed, last_activity_at=latest)
        .execution_options(synchronize_session=False)
    )
    refresh_fit(member.id, config)
    db.session.flush()
    advance_stage(member, rules)


def refresh_fit(member_id: int, config: dict) -> None:
    fit = (
        sa.select(fit_expression(config["fit_rules"]))
        .select_from(Member)
        .where(Member.id == MemberScore.member_id)
        .scalar_subquery()
    )
    db.session.execute(
        sa.update(MemberScore)
        .where(MemberScore.member_id == member_id)
        .values(fit=fit)
        .execution_options(synchronize_session=False)
    )


def current_score(member_id: int, rules: ScoringRules) -> tuple[float, float, str] | None:
    row = db.session.execute(
        sa.select(MemberScore.engagement_sum, MemberScore.fit, MemberScore.stage).where(
            MemberScore.member_id == member_id
        )
    ).one_or_none()
    if row is None:
        return None
    return row.engagement_sum * decay_factor(rules) + row.fit, row.fit, row.stage


def advance_stage(member: Member, rules: ScoringRules) -> None:
    """member → engaged → mql (the lead); stages only move forward here. Employees never become leads."""
    found = current_score(member.id, rules)
    if found is None:
        return
    score, _fit, stage = found
    thresholds = rules.config["thresholds"]
    now = utcnow()
    if stage == "member" and score >= thresholds["engaged"]:
        stage = set_member_stage(member.id, "engaged")
        record_conversion(member.id, "engaged", now)
    if stage == "engaged" and score >= thresholds["mql"] and member.member_type != "employee":
        qualify(member, now)


def set_member_stage(member_id: int, stage: str) -> str:
    db.session.execute(
        sa.update(MemberScore)
        .where(MemberScore.member_id == member_id)
        .values(stage=stage)
        .execution_options(synchronize_session=False)
    )
    return stage


def qualify(member: Member, now: datetime) -> Lead | None:
    """Crossing MQL: the lead is created (once) and lead.qualified fires."""
    from leads.signals import lead_qualified

    lead_id = insert_ignoring_conflicts(
        Lead.__table__,
        {"member_id": member.id, "stage": "mql", "created_at": now, "updated_at": now},
        returning=Lead.id,
    )
    set_member_stage(member.id, "lead")
    if lead_id is None:
        return None
    record_conversion(member.id, "lead", now)
    lead = db.session.get(Lead, lead_id)
    lead_qualified.send(current_app._get_current_object(), lead=lead)
    logger.info("member %s qualified as lead %s", member.id, lead_id)
    return lead
