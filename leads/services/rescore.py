"""A full rescore after the rules change: set-based SQL per chunk of members, into shadow
columns, swapped in by one transaction; until then everyone reads the old scores."""

from __future__ import annotations

import logging
import math

import sqlalchemy as sa

from core.accounts.models import Member
from core.errors import NotFound
from core.extensions import db
from core.models import utcnow
from core.tasks import enqueue_after_commit
from leads.models import Activity, MemberScore, ScoringJob
from leads.services.common import days_since_unix
from leads.services.rules import current_rules, decay_factor, fit_expression, needs_rescore
from leads.services.scoring import advance_stage

logger = logging.getLogger(__name__)
CHUNK_MEMBERS = 5000
RESCORE_TASK = "leads.rescore"  # leads.tasks.rescore


def start_rescore(config: dict) -> ScoringJob:
    job = ScoringJob(config=config, status="pending")
    db.session.add(job)
    db.session.flush()
    enqueue_after_commit(RESCORE_TASK, job.id)
    return job


def plan_chunks(job: ScoringJob) -> list[tuple[int, int]]:
    """Member-id ranges; a member's activities (and its daily caps) fall in one chunk."""
    low, high = db.session.execute(
        sa.select(sa.func.min(MemberScore.member_id), sa.func.max(MemberScore.member_id))
    ).one()
    chunks = [] if low is None else [(lo, lo + CHUNK_MEMBERS - 1) for lo in range(low, high + 1, CHUNK_MEMBERS)]
    job.status, job.started_at, job.total, job.done = "running", utcnow(), max(len(chunks), 1), 0
    job.config = {**job.config, "epoch_days": float(math.floor(days_since_unix(utcnow())))}
    db.session.flush()
    return chunks


def points_case(config: dict, activity_type, rank):
    weights, caps = config["weights"], config["daily_caps"]
    weight = sa.case(weights, value=activity_type, else_=0.0) if weights else sa.literal(0.0)
    if not caps:
        return weight
    cap = sa.case(caps, value=activity_type, else_=None)
    return sa.case((sa.and_(cap.is_not(None), rank > cap), 0.0), else_=weight)


def rescore_members(config: dict, member_filter) -> None:
    """Shadow points and sums for the members `member_filter` selects: two UPDATE statements."""
    rank = sa.func.row_number().over(
        partition_by=(Activity.member_id, Activity.activity_type, Activity.day),
        order_by=(Activity.occurred_at, Activity.id),
    )
    ranked = (
        sa.select(Activity.id, Activity.activity_type, Activity.occurred_days, rank.label("rank"))
        .where(member_filter(Activity.member_id))
        .subquery()
    )
    points = points_case(config, ranked.c.activity_type, ranked.c.rank)
    exponent = (ranked.c.occurred_days - sa.literal(config["epoch_days"])) / sa.literal(float(config["half_life_days"]))
    scored = sa.select(
        ranked.c.id, points.label("points"), (points * sa.func.power(sa.literal(2.0), exponent)).label("decayed")
    ).subquery()
    db.session.execute(
        sa.update(Activity)
        .where(Activity.id == scored.c.id)
        .values(points_next=scored.c.points, decayed_next=scored.c.decayed)
        .execution_options(synchronize_session=False)
    )
    total = (
        sa.select(sa.func.coalesce(sa.func.sum(Activity.decayed_next), 0.0))
        .where(Activity.member_id == MemberScore.member_id)
        .scalar_subquery()
    )
    fit = sa.select(fit_expression(config["fit_rules"])).where(Member.id == MemberScore.member_id).scalar_subquery()
    db.session.execute(
        sa.update(MemberScore)
        .where(member_filter(MemberScore.member_id))
        .values(engagement_next=total, fit_next=fit)
        .execution_options(synchronize_session=False)
    )


def rescore_chunk(job: ScoringJob, low: int, high: int) -> None:
    rescore_members(job.config, lambda column: column.between(low, high))
    job.done += 1
    db.session.flush()


def finish_rescore(job: ScoringJob) -> None:
    """Catch up on activities that arrived meanwhile, then swap shadow → live in this transaction."""
    rules = current_rules()
    if rules.config != {k: v for k, v in job.config.items() if k != "epoch_days"}:
        job.status, job.finished_at = "superseded", utcnow()  # a newer job carries the rules now
        return
    late = sa.select(Activity.member_id).where(Activity.decayed_next.is_(None), Activity.member_id.is_not(None))
    late_ids = sorted(set(db.session.scalars(late)))  # few: only members active during the rescore
    for start in range(0, len(late_ids), CHUNK_MEMBERS):
        batch = late_ids[start : start + CHUNK_MEMBERS]
        rescore_members(job.config, lambda column, batch=batch: column.in_(batch))
    swap = {"points": Activity.points_next, "decayed": Activity.decayed_next, "scored": True}
    db.session.execute(
        sa.update(Activity)
        .where(Activity.member_id.is_not(None))
        .values(**swap, points_next=None, decayed_next=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(MemberScore)
        .values(
            engagement_sum=sa.func.coalesce(MemberScore.engagement_next, 0.0),
            fit=sa.func.coalesce(MemberScore.fit_next, 0.0),
            engagement_next=None,
            fit_next=None,
        )
        .execution_options(synchronize_session=False)
    )
    active = {k: v for k, v in job.config.items() if k != "epoch_days"}
    rules.active_config, rules.epoch_days = active, job.config["epoch_days"]
    job.status, job.finished_at, job.done = "succeeded", utcnow(), job.total
    db.session.flush()
    db.session.expire_all()
    advance_after_rescore(rules)


def advance_after_rescore(rules) -> None:
    """Members the new rules lift over a threshold move stage (and may become leads). Only those
    whose stage changes are read and visited one by one (the same test advance_stage makes)."""
    score = MemberScore.engagement_sum * decay_factor(rules) + MemberScore.fit
    thresholds = rules.config["thresholds"]
    becomes_engaged = sa.and_(MemberScore.stage == "member", score >= thresholds["engaged"])
    becomes_lead = sa.and_(MemberScore.stage == "engaged", score >= thresholds["mql"], Member.member_type != "employee")
    rising = (
        sa.select(MemberScore.member_id, Member.member_type, score.label("score"), MemberScore.stage)
        .join(Member, Member.id == MemberScore.member_id)
        .where(sa.or_(becomes_engaged, becomes_lead))
    )
    for row in db.session.execute(rising).all():
        advance_stage(row.member_id, row.member_type, row.score, row.stage, rules)


def fail_rescore(job_id: int, error: str) -> None:
    job = db.session.get(ScoringJob, job_id)
    if job is not None:
        job.status, job.error, job.finished_at = "failed", error[:500], utcnow()
        db.session.flush()


def update_rules(config: dict, actor_id: int) -> tuple[dict, ScoringJob | None]:
    """Save the rules; thresholds apply at once, weights/caps/H/fit through a background rescore."""
    rules = current_rules()
    previous = rules.config
    rules.config, rules.updated_by_id = config, actor_id
    job = (
        start_rescore(config) if needs_rescore(rules.active_config, config) or needs_rescore(previous, config) else None
    )
    db.session.flush()
    if job is None and previous.get("thresholds") != config.get("thresholds"):
        advance_after_rescore(rules)  # the stored scores stand: only who is over a threshold changed
    return rules.config, job


def get_job(job_id: int) -> ScoringJob:
    job = db.session.get(ScoringJob, job_id)
    if job is None:
        raise NotFound("No such scoring job.")
    return job
