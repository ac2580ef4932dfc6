"""The ledger and incremental scoring: each activity is O(1) whatever the member's history."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from core.accounts.models import Member
from core.database import upsert_statement
from core.extensions import db
from core.models import utcnow
from leads.models import Activity, DailyCount, Lead, MemberScore, ScoringRules
from leads.services import assignment, stages
from leads.services.announcements import lead_qualified
from leads.services.common import days_since_unix, insert_ignoring_conflicts
from leads.services.rules import FREE_MAIL_DOMAINS, current_rules, decay_factor, fit_expression
from referrals.services import conversions

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
        score_new_activity(activity_id, member_id, activity_type, occurred_at, days)
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


MEMBER_FACTS = sa.select(Member.id, Member.member_type, Member.email_normalized, Member.company)


def ensure_score_row(member) -> None:
    """The member's score row exists and carries their current organisation (one upsert)."""
    organization = organization_of(member)
    table = MemberScore.__table__
    stmt = upsert_statement(table).values(
        member_id=member.id, engagement_sum=0.0, fit=0.0, stage="member", organization=organization
    )
    db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[table.c.member_id],
            set_={"organization": stmt.excluded.organization},
            where=table.c.organization.is_distinct_from(stmt.excluded.organization),
        )
    )


def organization_of(member) -> str | None:
    """Stated company, else the business email domain: how accounts are grouped."""
    if member.company and member.company.strip():
        return member.company.strip().lower()[:120]
    domain = member.email_normalized.rpartition("@")[2]
    if not domain or domain in FREE_MAIL_DOMAINS or domain.rpartition(".")[2] == "invalid":
        return None
    return domain[:120]  # lead_scores.organization is String(120); domains may be up to 253


def capped_points(member_id: int, activity_type: str, day: int, config: dict) -> float:
    """The type's weight, or 0 once the member's count for that day passes the daily cap (one upsert)."""
    weight = float(config["weights"].get(activity_type, 0.0))
    cap = config["daily_caps"].get(activity_type)
    if cap is None:
        return weight
    table = DailyCount.__table__
    stmt = upsert_statement(table).values(member_id=member_id, activity_type=activity_type, day=day, count=1)
    count = db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[table.c.member_id, table.c.activity_type, table.c.day],
            set_={"count": table.c.count + 1},
        ).returning(table.c.count)
    ).scalar_one()
    return weight if count <= cap else 0.0


def score_activity(activity_id: int) -> None:
    """Score a stored activity that was not scored yet (e.g. attached to a member by identify)."""
    row = db.session.execute(
        sa.select(Activity.member_id, Activity.activity_type, Activity.occurred_at, Activity.occurred_days).where(
            Activity.id == activity_id, Activity.scored.is_(False), Activity.member_id.is_not(None)
        )
    ).one_or_none()
    if row is not None:
        score_new_activity(activity_id, *row)


def score_new_activity(activity_id: int, member_id: int, activity_type: str, occurred_at: datetime, days: float):
    """Add one activity's epoch-relative points to its member's sum: S = S + w·2^((t−E)/H), in O(1)
    statements whatever the member's history; the same UPDATE refreshes fit and returns the new state."""
    facts = db.session.execute(MEMBER_FACTS.where(Member.id == member_id)).one_or_none()
    if facts is None:
        return
    rules = current_rules(for_scoring=True)
    config = rules.active_config
    ensure_score_row(facts)
    points = capped_points(member_id, activity_type, int(days // 1), config)
    decayed = points * 2.0 ** ((days - rules.epoch_days) / config["half_life_days"])
    db.session.execute(
        sa.update(Activity)
        .where(Activity.id == activity_id)
        .values(points=points, decayed=decayed, scored=True)
        .execution_options(synchronize_session=False)
    )
    latest = sa.case(
        (sa.or_(MemberScore.last_activity_at.is_(None), MemberScore.last_activity_at < occurred_at),
         sa.literal(occurred_at, type_=Activity.occurred_at.type)),
        else_=MemberScore.last_activity_at,
    )  # fmt: skip
    fit = sa.select(fit_expression(config["fit_rules"])).where(Member.id == MemberScore.member_id).scalar_subquery()
    state = db.session.execute(
        sa.update(MemberScore)
        .where(MemberScore.member_id == member_id)
        .values(engagement_sum=MemberScore.engagement_sum + decayed, last_activity_at=latest, fit=fit)
        .returning(MemberScore.engagement_sum, MemberScore.fit, MemberScore.stage, MemberScore.recyclable_since)
        .execution_options(synchronize_session=False)
    ).one()
    score = state.engagement_sum * decay_factor(rules) + state.fit
    advance_stage(member_id, facts.member_type, score, state.stage, rules)
    if decayed > 0 and score >= rules.config["thresholds"]["mql"]:
        requalify(member_id, state.recyclable_since)


def refresh_fit(member_id: int) -> None:
    """Recompute the member's fit (one UPDATE) after their profile changed, and move their stage."""
    rules = current_rules(for_scoring=True)
    fit = sa.select(fit_expression(rules.active_config["fit_rules"])).where(Member.id == MemberScore.member_id)
    state = db.session.execute(
        sa.update(MemberScore)
        .where(MemberScore.member_id == member_id)
        .values(fit=fit.scalar_subquery())
        .returning(MemberScore.engagement_sum, MemberScore.fit, MemberScore.stage)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if state is None:
        return
    member_type = db.session.scalar(sa.select(Member.member_type).where(Member.id == member_id))
    score = state.engagement_sum * decay_factor(rules) + state.fit
    advance_stage(member_id, member_type, score, state.stage, rules)


def advance_stage(member_id: int, member_type: str, score: float, stage: str, rules: ScoringRules) -> None:
    """member → engaged → mql (the lead); stages only move forward here. Employees never become leads."""
    thresholds = rules.config["thresholds"]
    now = utcnow()
    if stage == "member" and score >= thresholds["engaged"]:
        stage = set_member_stage(member_id, "engaged")
        conversions.record_conversion(member_id, "engaged", now)
    if stage == "engaged" and score >= thresholds["mql"] and member_type != "employee":
        qualify(member_id, now)


def requalify(member_id: int, recyclable_since: datetime | None) -> None:
    """A new activity keeps a closed (lost, disqualified) lead over the MQL threshold long enough after
    it was closed: it is recycled to mql and assigned again."""
    now = utcnow()
    if stages.due_for_recycling(recyclable_since, now):
        lead = stages.recycle(member_id, now)
        if lead is not None:
            assignment.assign_new_lead(lead)


def set_member_stage(member_id: int, stage: str) -> str:
    db.session.execute(
        sa.update(MemberScore)
        .where(MemberScore.member_id == member_id)
        .values(stage=stage)
        .execution_options(synchronize_session=False)
    )
    return stage


def qualify(member_id: int, now: datetime) -> Lead | None:
    """Crossing MQL: the lead is created (once) and lead.qualified fires."""
    lead_id = insert_ignoring_conflicts(
        Lead.__table__,
        {"member_id": member_id, "stage": "mql", "created_at": now, "updated_at": now, "qualified_at": now},
        returning=Lead.id,
    )
    set_member_stage(member_id, "lead")
    if lead_id is None:
        return None
    conversions.record_conversion(member_id, "lead", now)
    stages.record_move(lead_id, None, "mql", None, "Crossed the MQL threshold", now)
    lead = db.session.get(Lead, lead_id)
    assignment.assign_new_lead(lead)
    lead_qualified.send(current_app._get_current_object(), lead=lead)
    logger.info("member %s qualified as lead %s", member_id, lead_id)
    return lead
