"""Ranked lead lists as index scans.

score = S · f(t) + fit, with f(t) = 2^(−(t − E)/H) common to everyone. Within one fit value,
ordering by score is ordering by S, so each distinct fit value is one range scan of
ix_lead_scores_rank (stage, fit, engagement_sum, member_id) read backwards; the few
per-fit streams are merged here. Fit values are few (sums of a handful of rule points)
and are found with one index seek each (a loose index scan), not a sort.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from core.accounts.models import Member
from core.errors import ValidationFailed
from core.extensions import db
from core.models import utcnow
from core.pagination import decode_cursor, encode_cursor
from leads.models import Activity, Lead, MemberScore
from leads.services import assignment
from leads.services.common import SECONDS_PER_DAY, days_since_unix
from leads.services.rules import current_rules, decay_factor
from leads.services.sales import with_score

NUMBER = sa.literal(0.0, type_=sa.Float)
SCORE_CURSOR = [NUMBER, NUMBER, MemberScore.member_id, NUMBER]  # S, fit, member id, instant (days)
MAX_FIT_LEVELS = 64  # beyond this many distinct fit values, one sorted query is cheaper


def with_filters(stmt: sa.Select, filters: dict) -> sa.Select:
    if filters.get("overdue") is not None:
        overdue = assignment.overdue_condition()
        stmt = stmt.where(overdue if filters["overdue"] else sa.not_(overdue))
    if filters.get("stage"):
        stmt = stmt.where(Lead.stage == filters["stage"])
    if filters.get("owner") is not None:
        stmt = stmt.where(Lead.owner_id.is_(None) if filters["owner"] == 0 else Lead.owner_id == filters["owner"])
    if filters.get("organization"):
        stmt = stmt.where(MemberScore.organization == filters["organization"].strip().lower())
    if filters.get("product"):
        interested = sa.select(Activity.id).where(
            Activity.member_id == Lead.member_id,
            Activity.subject_type == "product",
            Activity.subject_id == filters["product"],
        )
        stmt = stmt.where(interested.exists())
    if filters.get("q"):
        pattern = f"%{filters['q'].lower()}%"
        stmt = stmt.join(Member, Member.id == Lead.member_id).where(
            sa.or_(
                Member.email_normalized.like(pattern),
                sa.func.lower(Member.display_name).like(pattern),
                MemberScore.organization.like(pattern),
            )
        )
    return stmt


def fit_levels() -> list[float]:
    """Distinct fit values among leads, one index seek each."""
    levels: list[float] = []
    while len(levels) <= MAX_FIT_LEVELS:
        stmt = sa.select(sa.func.min(MemberScore.fit)).where(MemberScore.stage == "lead")
        level = db.session.scalar(stmt.where(MemberScore.fit > levels[-1]) if levels else stmt)
        if level is None:
            return levels
        levels.append(level)
    return levels


def ranked_rows(filters: dict, factor: float, boundary: list | None, limit: int) -> list[tuple]:
    """(score, member_id, lead_id, S, fit) of the next `limit` leads, highest score first."""
    base = (
        sa.select(Lead.id, MemberScore.member_id, MemberScore.engagement_sum, MemberScore.fit)
        .select_from(MemberScore)
        .join(Lead, Lead.member_id == MemberScore.member_id)
        .where(MemberScore.stage == "lead")
    )
    base = with_filters(base, filters)
    levels = fit_levels()
    if len(levels) > MAX_FIT_LEVELS:
        return sorted_rows(base, factor, boundary, limit, filters)
    last = None if boundary is None else (boundary[0] * factor + boundary[1], boundary[2])
    rows = []
    for level in levels:
        stmt = base.where(MemberScore.fit == level)
        if filters.get("min_score") is not None:
            stmt = stmt.where(MemberScore.engagement_sum >= (filters["min_score"] - level) / factor)
        if last is not None:
            stmt = stmt.where(MemberScore.engagement_sum <= at_most(last[0], level, factor))
        rows += level_rows(stmt, factor, last, limit)
    return sorted(rows, reverse=True)[:limit]


def at_most(score: float, level: float, factor: float) -> float:
    """An S no row of fit `level` scoring at most `score` exceeds, with room for float rounding:
    the exact comparison is made in Python, as the merge makes it."""
    bound = (score - level) / factor
    return bound + abs(bound) * 1e-9 + 1e-9


def level_rows(stmt: sa.Select, factor: float, last: tuple | None, limit: int) -> list[tuple]:
    """The `limit` first rows of one fit level in merge order (score, member_id) after `last`.

    The index gives S order; scores that round equal may order by member id differently, and the
    range predicate is loose, so read on until no further row can still rank among them."""
    order = (MemberScore.engagement_sum.desc(), MemberScore.member_id.desc())
    kept: list[tuple] = []
    seek, size = stmt, limit
    while True:
        chunk = db.session.execute(seek.order_by(*order).limit(size)).all()
        for lead_id, member_id, s, fit in chunk:
            row = (s * factor + fit, member_id, lead_id, s, fit)
            if last is None or row[:2] < last:
                kept.append(row)
        if len(chunk) < size:
            return kept
        size *= 2  # long runs of equal scores: fewer round trips
        _, member_id, s, fit = chunk[-1]
        kept = sorted(kept, reverse=True)[:limit]
        if len(kept) == limit and s * factor + fit < kept[-1][0]:
            return kept
        seek = stmt.where(
            sa.tuple_(MemberScore.engagement_sum, MemberScore.member_id)
            < sa.tuple_(sa.literal(s, type_=sa.Float), sa.literal(member_id))
        )


def sorted_rows(base: sa.Select, factor: float, boundary: list | None, limit: int, filters: dict) -> list[tuple]:
    score = MemberScore.engagement_sum * factor + MemberScore.fit
    stmt = base
    if filters.get("min_score") is not None:
        stmt = stmt.where(score >= filters["min_score"])
    if boundary is not None:
        s0, fit0, member0 = boundary[:3]
        stmt = stmt.where(sa.tuple_(score, MemberScore.member_id) < sa.tuple_(sa.literal(s0 * factor + fit0), member0))
    rows = db.session.execute(stmt.order_by(score.desc(), MemberScore.member_id.desc()).limit(limit)).all()
    return [(s * factor + fit, member_id, lead_id, s, fit) for lead_id, member_id, s, fit in rows]


MAX_CURSOR_AGE_DAYS = 30.0  # a score cursor pins the decay instant; older ones are stale anyway


def invalid_cursor() -> ValidationFailed:
    return ValidationFailed("Invalid cursor; use next_cursor from the previous page.", field="cursor")


def cursor_instant(days) -> datetime:
    """The instant a cursor pins, if it is one a previous page could have given (recent, not future)."""
    now = days_since_unix(utcnow())
    if not isinstance(days, float) or not now - MAX_CURSOR_AGE_DAYS <= days <= now + 1.0 / 1440:
        raise invalid_cursor()
    return datetime.fromtimestamp(days * SECONDS_PER_DAY, tz=UTC)


def finite(*values) -> bool:
    return all(isinstance(v, float) and math.isfinite(v) for v in values)


def score_boundary(cursor: str) -> tuple[list, datetime]:
    """(S0, fit0, member0, instant) of a score cursor, every value checked before any arithmetic."""
    s0, fit0, member0, days = decode_cursor(cursor, SCORE_CURSOR)
    at = cursor_instant(days)
    factor = decay_factor(current_rules(), at)
    if member0 is None or not finite(s0, fit0) or not finite(s0 * factor + fit0, factor) or factor == 0.0:
        raise invalid_cursor()
    return [s0, fit0, member0, days], at


def list_leads(*, limit: int, cursor: str | None, sort: str = "score", **filters):
    """Keyset pages; by score, every page uses the decay factor of the first page's instant."""
    if sort == "recent":
        return recent_leads(limit=limit, cursor=cursor, **filters)
    boundary, at = score_boundary(cursor) if cursor else (None, utcnow())
    factor = decay_factor(current_rules(), at)
    rows = ranked_rows(filters, factor, boundary, limit + 1)
    leads = load_leads(rows[:limit], factor)
    if len(rows) <= limit:
        return leads, None
    _, member_id, _, s, fit = rows[limit - 1]
    return leads, encode_cursor([s, fit, member_id, days_since_unix(at)])


def load_leads(rows: list[tuple], factor: float) -> list[Lead]:
    stmt = sa.select(Lead).where(Lead.id.in_([r[2] for r in rows])).options(selectinload(Lead.owner))
    by_id = {lead.id: lead for lead in db.session.scalars(stmt)}
    return [with_score(by_id[lead_id], score, factor) for score, _, lead_id, _, _ in rows]


def recent_leads(*, limit: int, cursor: str | None, **filters):
    """Most recently qualified first: ix_leads_created."""
    factor = decay_factor(current_rules())
    stmt = sa.select(Lead).join(MemberScore, MemberScore.member_id == Lead.member_id)
    stmt = with_filters(stmt, filters)
    if filters.get("min_score") is not None:
        stmt = stmt.where(MemberScore.engagement_sum * factor + MemberScore.fit >= filters["min_score"])
    order = [Lead.created_at, Lead.id]
    if cursor:
        values = decode_cursor(cursor, order)
        literals = [sa.literal(v, type_=c.type) for v, c in zip(values, order, strict=True)]
        stmt = stmt.where(sa.tuple_(*order) < sa.tuple_(*literals))
    leads = list(db.session.scalars(stmt.order_by(*[c.desc() for c in order]).limit(limit + 1)))
    page = [with_current(lead, factor) for lead in leads[:limit]]
    if len(leads) <= limit:
        return page, None
    return page, encode_cursor([page[-1].created_at, page[-1].id])


def with_current(lead: Lead, factor: float) -> Lead:
    return with_score(lead, lead.score.engagement_sum * factor + lead.score.fit, factor)


def rank_accounts(*, limit: int, cursor: str | None):
    """Organisations by combined score (Σ S · f + Σ fit), employees left out; pages share one instant."""
    at, boundary = utcnow(), None
    if cursor:
        boundary = decode_cursor(cursor, [NUMBER, MemberScore.organization, NUMBER])
        at = cursor_instant(boundary[2])
        if not finite(boundary[0]) or boundary[1] is None:
            raise invalid_cursor()
    factor = decay_factor(current_rules(), at)
    score = (sa.func.sum(MemberScore.engagement_sum) * factor + sa.func.sum(MemberScore.fit)).label("score")
    lead_count = sa.func.count(Lead.id).label("leads")
    stmt = (
        sa.select(MemberScore.organization, score, sa.func.count(MemberScore.member_id).label("members"), lead_count)
        .join(Member, Member.id == MemberScore.member_id)
        .outerjoin(Lead, Lead.member_id == MemberScore.member_id)
        .where(MemberScore.organization.is_not(None), Member.member_type != "employee")
        .group_by(MemberScore.organization)
    )
    if boundary is not None:
        last = sa.tuple_(sa.literal(boundary[0], type_=sa.Float), sa.literal(boundary[1], type_=sa.String))
        stmt = stmt.having(sa.tuple_(score, MemberScore.organization) < last)
    rows = db.session.execute(stmt.order_by(score.desc(), MemberScore.organization.desc()).limit(limit + 1)).all()
    items = [
        {"organization": row.organization, "score": row.score, "members": row.members, "leads": row.leads}
        for row in rows[:limit]
    ]
    if len(rows) <= limit:
        return items, None
    return items, encode_cursor([items[-1]["score"], items[-1]["organization"], days_since_unix(at)])
