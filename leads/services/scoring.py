"""The ledger and incremental scoring: each activity costs O(1) whatever the member's history, and
a batch of activities a handful of statements whatever its size (the same code scores both)."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from core.accounts.models import Member
from core.database import among
from core.extensions import db
from core.models import UTCDateTime, utcnow
from leads.models import Activity, DailyCount, MemberScore
from leads.services.common import days_since_unix, given_rows, insert_ignoring_conflicts, insert_rows
from leads.services.qualification import Standing, advance_stages
from leads.services.rules import FREE_MAIL_DOMAINS, current_rules, decay_factor, fit_expression

MEMBER_FACTS = sa.select(Member.id, Member.member_type, Member.email_normalized, Member.company)


@dataclass(frozen=True)
class NewActivity:
    """A stored activity not yet in its member's sum."""

    member_id: int
    activity_type: str
    occurred_at: datetime
    days: float


@dataclass
class Increment:
    """What a member's activities add to their sum: the total, and the highest running total on the
    way (a stage is reached if any activity, scored on its own, would have reached it), and the
    highest a positive activity left it (only a rise recycles a closed lead)."""

    total: float = 0.0
    peak: float = float("-inf")
    risen: float = float("-inf")
    latest: datetime | None = None


def ledger_row(
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
) -> dict:
    """The lead_activities row of one activity; marked scored when it has a member (scored at once)."""
    days = days_since_unix(occurred_at)
    return {
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
        "scored": member_id is not None,
        "received_at": utcnow(),
    }


def new_activity(row: dict) -> NewActivity:
    return NewActivity(row["member_id"], row["activity_type"], row["occurred_at"], row["occurred_days"])


def record_activity(member_id: int | None, activity_type: str, occurred_at: datetime, **details) -> int | None:
    """Write one ledger row (deduplicated by message id) and score it; None if a duplicate."""
    return store_activity(ledger_row(member_id, activity_type, occurred_at, **details))


def store_activity(row: dict, member=None) -> int | None:
    """Insert one ledger row and score it for its member (`member`: their facts, if already read)."""
    activity_id = insert_ignoring_conflicts(Activity.__table__, row, returning=Activity.id)
    if activity_id is not None and row["member_id"] is not None:
        facts = {member.id: member} if member is not None else member_facts([row["member_id"]])
        score_activities([new_activity(row)], facts)
    return activity_id


def member_facts(member_ids: list[int]) -> dict[int, sa.Row]:
    rows = db.session.execute(MEMBER_FACTS.where(among(Member.id, member_ids))) if member_ids else []
    return {row.id: row for row in rows}


def lock_scores(member_ids: list[int]) -> None:
    """Lock the existing score rows a batch will touch, in member-id order, before touching any:
    concurrent batches over overlapping members then queue instead of deadlocking."""
    ids = sorted(set(member_ids))
    if not ids:
        return
    current_rules(for_scoring=True)  # the same lock order as score_activities: rules first
    db.session.execute(
        sa.select(MemberScore.member_id).where(among(MemberScore.member_id, ids)).order_by(MemberScore.member_id)
        .with_for_update()
    )  # fmt: skip


def ensure_score_row(member) -> None:
    ensure_score_rows([member])


def ensure_score_rows(members) -> None:
    """The members' score rows exist and carry their current organisation: one upsert, in member-id
    order (it locks the rows, so concurrent batches queue instead of deadlocking)."""
    rows = [
        {"member_id": m.id, "engagement_sum": 0.0, "fit": 0.0, "stage": "member", "organization": organization_of(m)}
        for m in sorted(members, key=lambda m: m.id)
    ]
    stmt = insert_rows(MemberScore.__table__, rows)
    db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[MemberScore.member_id],
            set_={"organization": stmt.excluded.organization},
            where=MemberScore.organization.is_distinct_from(stmt.excluded.organization),
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


def capped_points(activities: list[NewActivity], config: dict) -> list[float]:
    """Each activity's weight, or 0 once its member's count of that type that day passes the daily
    cap, counted in the order given: one upsert of the daily counts for the whole list."""
    weights, caps = config["weights"], config["daily_caps"]
    keys = [(a.member_id, a.activity_type, int(a.days // 1)) for a in activities]
    wanted = Counter(key for key in keys if caps.get(key[1]) is not None)
    after = add_daily_counts(wanted)
    seen: Counter = Counter()
    points = []
    for key in keys:
        weight = float(weights.get(key[1], 0.0))
        if key in wanted:
            seen[key] += 1
            weight = weight if after[key] - wanted[key] + seen[key] <= caps[key[1]] else 0.0
        points.append(weight)
    return points


def add_daily_counts(wanted: Counter) -> dict[tuple, int]:
    """Add to each (member, type, day) count; the counts after, by key."""
    if not wanted:
        return {}
    table = DailyCount.__table__
    rows = [{"member_id": m, "activity_type": t, "day": d, "count": n} for (m, t, d), n in sorted(wanted.items())]
    stmt = insert_rows(table, rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.member_id, table.c.activity_type, table.c.day],
        set_={"count": table.c.count + stmt.excluded["count"]},
    ).returning(table.c.member_id, table.c.activity_type, table.c.day, table.c.count)
    return {(m, t, d): n for m, t, d, n in db.session.execute(stmt)}


def score_activities(activities: list[NewActivity], facts: dict[int, sa.Row]) -> None:
    """Add activities (in the order given) to their members' sums, S += w·2^((t−E)/H): the score
    rows, the daily counts and the sums are one statement each, whatever the count; the UPDATE of
    the sums refreshes fit and returns what the stage moves need."""
    activities = [a for a in activities if a.member_id in facts]
    if not activities:
        return
    rules = current_rules(for_scoring=True)
    config = rules.active_config
    ensure_score_rows([facts[member_id] for member_id in {a.member_id for a in activities}])
    increments: dict[int, Increment] = {}
    for activity, points in zip(activities, capped_points(activities, config), strict=True):
        step = increments.setdefault(activity.member_id, Increment())
        step.total += points * 2.0 ** ((activity.days - rules.epoch_days) / config["half_life_days"])
        step.peak = max(step.peak, step.total)
        if points > 0:
            step.risen = max(step.risen, step.total)
        step.latest = max(step.latest or activity.occurred_at, activity.occurred_at)
    factor = decay_factor(rules)
    standings = []
    for member_id, engagement_sum, fit, stage, recyclable_since in add_to_sums(increments, config["fit_rules"]):
        step = increments[member_id]
        before = engagement_sum - step.total
        peak = (before + step.peak) * factor + fit
        risen_to = (before + step.risen) * factor + fit if step.risen > float("-inf") else None
        member_type = facts[member_id].member_type
        standings.append(Standing(member_id, member_type, peak, stage, risen_to, recyclable_since))
    advance_stages(standings, rules)


# recyclable_since comes back with the sum, so only closed leads cost a look for recycling.
SUM_STATE = (
    MemberScore.member_id,
    MemberScore.engagement_sum,
    MemberScore.fit,
    MemberScore.stage,
    MemberScore.recyclable_since,
)


def add_to_sums(increments: dict[int, Increment], fit_rules: list[dict]) -> list[sa.Row]:
    """One UPDATE … FROM (the members' increments as a table) on PostgreSQL, its three columns sent
    as arrays, so the statement compiles once; a plain loop where that cannot be said (SQLite) or
    there is one member. engagement_next is cleared: a rescore under way computes this member
    again (leads.services.rescore)."""
    ordered = sorted(increments.items())
    if len(ordered) > 1 and db.session.get_bind().dialect.name == "postgresql":
        rows = [{"member_id": m, "total": step.total, "latest": step.latest} for m, step in ordered]
        types = {"member_id": sa.Integer(), "total": sa.Float(), "latest": sa.DateTime(timezone=True)}
        given = given_rows(rows, types)
        stmt = sa.update(MemberScore).where(MemberScore.member_id == given.c.member_id)
        return add_to_sum(stmt, given.c.total, given.c.latest, fit_rules)
    rows = []
    for member_id, step in ordered:
        stmt = sa.update(MemberScore).where(MemberScore.member_id == member_id)
        latest = sa.literal(step.latest, type_=UTCDateTime())
        rows += add_to_sum(stmt, sa.literal(step.total, type_=sa.Float), latest, fit_rules)
    return rows


def add_to_sum(stmt: sa.Update, total, latest, fit_rules: list[dict]) -> list[sa.Row]:
    newer = sa.or_(MemberScore.last_activity_at.is_(None), MemberScore.last_activity_at < latest)
    fit = sa.select(fit_expression(fit_rules)).where(Member.id == MemberScore.member_id).scalar_subquery()
    values = {
        "engagement_sum": MemberScore.engagement_sum + total,
        "last_activity_at": sa.case((newer, latest), else_=MemberScore.last_activity_at),
        "fit": fit,
        "engagement_next": None,
    }
    stmt = stmt.values(values).returning(*SUM_STATE).execution_options(synchronize_session=False)
    return list(db.session.execute(stmt).all())


def score_stored_activities(activity_ids: list[int]) -> None:
    """Score stored activities not scored yet (attached to a member by identify, or moved to the
    account that claimed a prospect), in id order, as if they had arrived now."""
    ids = sorted(activity_ids)
    if not ids:
        return
    stmt = sa.select(Activity.member_id, Activity.activity_type, Activity.occurred_at, Activity.occurred_days).where(
        Activity.id.in_(ids), Activity.scored.is_(False), Activity.member_id.is_not(None)
    )
    pending = [NewActivity(*row) for row in db.session.execute(stmt.order_by(Activity.id))]
    db.session.execute(
        sa.update(Activity)
        .where(Activity.id.in_(ids), Activity.member_id.is_not(None))
        .values(scored=True)
        .execution_options(synchronize_session=False)
    )
    score_activities(pending, member_facts(sorted({a.member_id for a in pending})))


def refresh_fit(member_id: int) -> None:
    """Recompute the member's fit (one UPDATE) after their profile changed, and move their stage."""
    rules = current_rules(for_scoring=True)
    fit = sa.select(fit_expression(rules.active_config["fit_rules"])).where(Member.id == MemberScore.member_id)
    state = db.session.execute(
        sa.update(MemberScore)
        .where(MemberScore.member_id == member_id)
        .values(fit=fit.scalar_subquery(), engagement_next=None)
        .returning(MemberScore.engagement_sum, MemberScore.fit, MemberScore.stage)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if state is None:
        return
    member_type = db.session.scalar(sa.select(Member.member_type).where(Member.id == member_id))
    score = state.engagement_sum * decay_factor(rules) + state.fit
    advance_stages([Standing(member_id, member_type, score, state.stage)], rules)
