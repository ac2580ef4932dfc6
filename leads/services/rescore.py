"""A full rescore after the rules change: one aggregate per chunk of members into per-member
sums (lead_scores.engagement_next), swapped in by one transaction; until then everyone reads the
old scores. The activities are read, never rewritten."""

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
from leads.services.points import scored_activities
from leads.services.qualification import Standing, advance_stages
from leads.services.rules import current_rules, decay_factor, fit_expression, needs_rescore

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


def rescore_members(config: dict, member_filter, new_fit: bool = True) -> None:
    """New sums (into engagement_next) and fit (fit_next) for the members `member_filter` selects:
    their score rows are locked first, then one aggregate over their activities fills both. A
    batch scoring one of them commits before the aggregate reads (it is seen) or waits for this
    transaction and then clears engagement_next (finish_rescore computes that member again).
    Unless `new_fit` (the fit rules change), fit stays what scoring keeps current."""
    db.session.execute(
        sa.select(MemberScore.member_id).where(member_filter(MemberScore.member_id)).with_for_update()
    ).all()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL work_mem = '64MB'"))  # the caps' window sorts in memory
    scored = scored_activities(config, config["epoch_days"], member_filter(Activity.member_id), details=False)
    target = sa.orm.aliased(MemberScore, name="target")
    sums = (
        sa.select(target.member_id, sa.func.coalesce(sa.func.sum(scored.c.decayed), 0.0).label("total"))
        .outerjoin(scored, scored.c.member_id == target.member_id)
        .where(member_filter(target.member_id))
        .group_by(target.member_id)
        .subquery("sums")
    )
    stmt = sa.update(MemberScore).where(MemberScore.member_id == sums.c.member_id, member_filter(MemberScore.member_id))
    if new_fit:  # only new fit rules read the members' profiles (a join with members per chunk)
        stmt = stmt.where(Member.id == MemberScore.member_id).values(fit_next=fit_expression(config["fit_rules"]))
    else:
        stmt = stmt.values(fit_next=MemberScore.fit)
    db.session.execute(stmt.values(engagement_next=sums.c.total).execution_options(synchronize_session=False))


def fit_changes(job: ScoringJob) -> bool:
    return job.config["fit_rules"] != current_rules().active_config["fit_rules"]


def rescore_chunk(job: ScoringJob, low: int, high: int) -> None:
    rescore_members(job.config, lambda column: column.between(low, high), fit_changes(job))
    job.done += 1
    db.session.flush()


def finish_rescore(job: ScoringJob) -> None:
    """Compute again the members scored since their chunk (and those who arrived since the plan),
    then swap the sums in: one UPDATE of the score rows, none of the activities. The rules row is
    locked first, so no scoring interleaves with the catch-up and the swap."""
    rules = current_rules(for_update=True)
    if rules.config != {k: v for k, v in job.config.items() if k != "epoch_days"}:
        job.status, job.finished_at = "superseded", utcnow()  # a newer job carries the rules now
        return
    late = sa.select(MemberScore.member_id).where(MemberScore.engagement_next.is_(None))
    late_ids = sorted(db.session.scalars(late))  # few: only members scored during the rescore
    for start in range(0, len(late_ids), CHUNK_MEMBERS):
        batch = late_ids[start : start + CHUNK_MEMBERS]
        rescore_members(job.config, lambda column, batch=batch: column.in_(batch), fit_changes(job))
    db.session.execute(
        sa.update(MemberScore)
        .values(
            # A score row made since the catch-up (a new prospect, nothing scored yet) keeps its own.
            engagement_sum=sa.func.coalesce(MemberScore.engagement_next, MemberScore.engagement_sum),
            fit=sa.func.coalesce(MemberScore.fit_next, MemberScore.fit),
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
    """Members the new rules lift over a threshold move stage (and may become leads): only those
    are read, and moved as sets (the same test the scoring makes)."""
    score = MemberScore.engagement_sum * decay_factor(rules) + MemberScore.fit
    thresholds = rules.config["thresholds"]
    becomes_engaged = sa.and_(MemberScore.stage == "member", score >= thresholds["engaged"])
    becomes_lead = sa.and_(MemberScore.stage == "engaged", score >= thresholds["mql"], Member.member_type != "employee")
    rising = (
        sa.select(MemberScore.member_id, Member.member_type, score.label("score"), MemberScore.stage)
        .join(Member, Member.id == MemberScore.member_id)
        .where(sa.or_(becomes_engaged, becomes_lead))
    )
    advance_stages([Standing(*row) for row in db.session.execute(rising)], rules)


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
