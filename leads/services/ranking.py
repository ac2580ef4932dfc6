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
from functools import lru_cache
from operator import itemgetter
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased

from core.accounts.models import Member
from core.errors import ValidationFailed
from core.extensions import db
from core.models import utcnow
from core.pagination import decode_cursor, encode_cursor
from leads.models import Activity, Lead, MemberScore
from leads.services import assignment
from leads.services.common import SECONDS_PER_DAY, days_since_unix
from leads.services.rules import current_decay

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


def fit_levels_statement() -> sa.Select:
    leads = MemberScore.stage == "lead"
    first = sa.select(sa.func.min(MemberScore.fit).label("fit"), sa.literal(1).label("n")).where(leads)
    levels = first.cte("fit_levels", recursive=True)
    above = sa.select(sa.func.min(MemberScore.fit)).where(leads, MemberScore.fit > levels.c.fit).scalar_subquery()
    levels = levels.union_all(
        sa.select(above, levels.c.n + 1).where(levels.c.fit.is_not(None), levels.c.n <= MAX_FIT_LEVELS)
    )
    return sa.select(levels.c.fit).where(levels.c.fit.is_not(None)).order_by(levels.c.fit)


# Built once: building and keying this statement took longer than the database takes to run it.
FIT_LEVELS = fit_levels_statement()


def fit_levels() -> list[float]:
    """Distinct fit values among leads (at most MAX_FIT_LEVELS + 1): one statement, a recursive
    loose index scan (one index seek per value)."""
    return list(db.session.connection().execute(FIT_LEVELS).scalars())


RANK_BASE = (
    sa.select(Lead.id, MemberScore.member_id, MemberScore.engagement_sum, MemberScore.fit)
    .select_from(MemberScore)
    .join(Lead, Lead.member_id == MemberScore.member_id)
    .where(MemberScore.stage == "lead")
)
RANK_ORDER = (MemberScore.engagement_sum.desc(), MemberScore.member_id.desc())
IN_INDEX_ORDER = itemgetter(2, 1)  # (S, member id) of a RANK_BASE row


def ranked_rows(filters: dict, factor: float, boundary: list | None, limit: int) -> list[tuple]:
    """(score, member_id, lead_id, S, fit) of the next `limit` leads, highest score first: the first
    `limit` rows of every fit level in one statement (a UNION ALL of index range scans), merged here."""
    levels = fit_levels()
    if len(levels) > MAX_FIT_LEVELS:
        return sorted_rows(with_filters(RANK_BASE, filters), factor, boundary, limit, filters)
    if not levels:
        return []
    last = None if boundary is None else (boundary[0] * factor + boundary[1], boundary[2])
    if last is None and filters.get("min_score") is None and filters.get("overdue") is None:
        streams, firsts = same_level_statements(tuple(levels), limit, tuple(sorted(filters.items())))
    else:  # the statements depend on the time (the decay, the claim deadline): built for this request
        streams, firsts = level_statements(levels, limit, filters, factor, last)
    fetched: dict[float, list] = {level: [] for level in levels}
    for row in db.session.connection().execute(firsts).all():
        fetched[row.fit].append(row)
    rows = []
    for level, stmt in zip(levels, streams, strict=True):
        chunk = sorted(fetched[level], key=IN_INDEX_ORDER, reverse=True)
        rows += level_rows(stmt, factor, last, limit, chunk)
    return sorted(rows, reverse=True)[:limit]


def level_statements(levels: list[float], limit: int, filters: dict, factor: float | None, last: tuple | None):
    """Each fit level's range of leads, and one UNION ALL of their first `limit` + 1 rows (one row
    past `limit` per level shows whether a later row could still tie the last kept)."""
    base = with_filters(RANK_BASE, filters)
    streams = [level_stream(base, level, factor, last, filters) for level in levels]
    firsts = [stmt.order_by(*RANK_ORDER).limit(limit + 1).subquery() for stmt in streams]
    return streams, sa.union_all(*[sa.select(first) for first in firsts])


@lru_cache(maxsize=64)
def same_level_statements(levels: tuple[float, ...], limit: int, filter_items: tuple):
    """level_statements of a first page whose statements do not depend on the time, kept: a list
    opened again with the same fit levels, size and filters reuses them (building and keying them
    took about as long as the database takes to run them)."""
    return level_statements(list(levels), limit, dict(filter_items), None, None)


def level_stream(base: sa.Select, level: float, factor: float, last: tuple | None, filters: dict) -> sa.Select:
    """One fit level's leads from the page boundary on, as a range of ix_lead_scores_rank."""
    stmt = base.where(MemberScore.fit == level)
    if filters.get("min_score") is not None:
        stmt = stmt.where(MemberScore.engagement_sum >= (filters["min_score"] - level) / factor)
    if last is not None:
        stmt = stmt.where(MemberScore.engagement_sum <= at_most(last[0], level, factor))
    return stmt


def at_most(score: float, level: float, factor: float) -> float:
    """An S no row of fit `level` scoring at most `score` exceeds, with room for float rounding:
    the exact comparison is made in Python, as the merge makes it."""
    bound = (score - level) / factor
    return bound + abs(bound) * 1e-9 + 1e-9


def level_rows(stmt: sa.Select, factor: float, last: tuple | None, limit: int, chunk: list) -> list[tuple]:
    """The `limit` first rows of one fit level in merge order (score, member_id) after `last`, given
    its first `limit` + 1 rows in index order (`chunk`).

    The index gives S order; scores that round equal may order by member id differently, and the
    range predicate is loose, so read on until no further row can still rank among them (rare)."""
    kept: list[tuple] = []
    size = limit + 1
    while True:
        for lead_id, member_id, s, fit in chunk:
            row = (s * factor + fit, member_id, lead_id, s, fit)
            if last is None or row[:2] < last:
                kept.append(row)
        if len(chunk) < size:
            return kept
        _, member_id, s, fit = chunk[-1]
        kept = sorted(kept, reverse=True)[:limit]
        if len(kept) == limit and s * factor + fit < kept[-1][0]:
            return kept
        size *= 2  # long runs of equal scores: fewer round trips
        seek = stmt.where(
            sa.tuple_(MemberScore.engagement_sum, MemberScore.member_id)
            < sa.tuple_(sa.literal(s, type_=sa.Float), sa.literal(member_id))
        )
        chunk = db.session.execute(seek.order_by(*RANK_ORDER).limit(size)).all()


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
    factor = current_decay(at)
    if member0 is None or not finite(s0, fit0) or not finite(s0 * factor + fit0, factor) or factor == 0.0:
        raise invalid_cursor()
    return [s0, fit0, member0, days], at


def list_leads(*, limit: int, cursor: str | None, sort: str = "score", **filters):
    """Keyset pages; by score, every page uses the decay factor of the first page's instant."""
    db.session.flush()  # the reads below go to the connection, past the session's autoflush
    if sort == "recent":
        return recent_leads(limit=limit, cursor=cursor, **filters)
    boundary, at = score_boundary(cursor) if cursor else (None, utcnow())
    factor = current_decay(at)
    rows = ranked_rows(filters, factor, boundary, limit + 1)
    leads = load_leads(rows[:limit], factor)
    if len(rows) <= limit:
        return leads, None
    _, member_id, _, s, fit = rows[limit - 1]
    return leads, encode_cursor([s, fit, member_id, days_since_unix(at)])


OWNER = aliased(Member, name="owner")
# A page of leads as plain rows (no ORM objects): one statement, compiled once and reused.
PAGE = (
    sa.select(
        Lead.id, Lead.stage, Lead.owner_id, Lead.created_at, Lead.claimed_at,
        Member.id.label("member_id"), Member.email, Member.display_name, Member.member_type, Member.job_title,
        Member.company, MemberScore.organization, MemberScore.last_activity_at,
        OWNER.display_name.label("owner_name"), OWNER.email.label("owner_email"),
    )
    .join(Member, Member.id == Lead.member_id)
    .join(MemberScore, MemberScore.member_id == Lead.member_id)
    .outerjoin(OWNER, OWNER.id == Lead.owner_id)
)  # fmt: skip
# The page's ids as one array on PostgreSQL: an expanding IN renders and converts 100 placeholders
# on every request, which cost more than the database takes to run the statement.
PAGE_OF_IDS = {
    "postgresql": PAGE.where(Lead.id == sa.any_(sa.bindparam("ids", type_=ARRAY(sa.Integer)))),
    "sqlite": PAGE.where(Lead.id.in_(sa.bindparam("ids", expanding=True))),
}


def load_leads(rows: list[tuple], factor: float) -> list[LeadItem]:
    """The leads of ranked rows (score, member_id, lead_id, S, fit), in their order, as LeadItems
    over one page statement's rows (no ORM objects)."""
    connection = db.session.connection()
    page_of_ids = PAGE_OF_IDS[connection.dialect.name]
    found = connection.execute(page_of_ids, {"ids": [r[2] for r in rows]}).all() if rows else []
    by_id = {row.id: row for row in found}
    return [LeadItem(by_id[lead_id], score, s * factor, fit) for score, _, lead_id, s, fit in rows]


class LeadItem:
    """A listed lead: the attributes LeadSchema, the console's list and the CSV export read, over
    its PAGE row. One object per lead; the member, owner and score views are made only when read
    (the list's JSON reads the row itself: leads.schemas.leads.lead_json)."""

    __slots__ = ("row", "current_score", "engagement", "fit")

    def __init__(self, row: sa.Row, score: float, engagement: float, fit: float) -> None:
        self.row, self.current_score, self.engagement, self.fit = row, score, engagement, fit

    id = property(lambda self: self.row.id)
    member_id = property(lambda self: self.row.member_id)
    stage = property(lambda self: self.row.stage)
    owner_id = property(lambda self: self.row.owner_id)
    created_at = property(lambda self: self.row.created_at)
    claimed_at = property(lambda self: self.row.claimed_at)
    last_activity_at = property(lambda self: self.row.last_activity_at)

    @property
    def member(self) -> SimpleNamespace:
        row = self.row
        return SimpleNamespace(
            id=row.member_id, email=row.email, display_name=row.display_name, member_type=row.member_type,
            organization=row.organization, job_title=row.job_title, company=row.company,
        )  # fmt: skip

    @property
    def owner(self) -> SimpleNamespace | None:
        row = self.row
        if row.owner_id is None:
            return None
        return SimpleNamespace(id=row.owner_id, display_name=row.owner_name, email=row.owner_email)

    @property
    def score(self) -> SimpleNamespace:
        return SimpleNamespace(organization=self.row.organization)


def recent_leads(*, limit: int, cursor: str | None, **filters):
    """Most recently qualified first: ix_leads_created."""
    factor = current_decay()
    stmt = sa.select(Lead.id, Lead.member_id, MemberScore.engagement_sum, MemberScore.fit, Lead.created_at).join(
        MemberScore, MemberScore.member_id == Lead.member_id
    )
    stmt = with_filters(stmt, filters)
    if filters.get("min_score") is not None:
        stmt = stmt.where(MemberScore.engagement_sum * factor + MemberScore.fit >= filters["min_score"])
    order = [Lead.created_at, Lead.id]
    if cursor:
        values = decode_cursor(cursor, order)
        literals = [sa.literal(v, type_=c.type) for v, c in zip(values, order, strict=True)]
        stmt = stmt.where(sa.tuple_(*order) < sa.tuple_(*literals))
    found = db.session.execute(stmt.order_by(*[c.desc() for c in order]).limit(limit + 1)).all()
    rows = [(s * factor + fit, member_id, lead_id, s, fit) for lead_id, member_id, s, fit, _ in found[:limit]]
    page = load_leads(rows, factor)
    if len(found) <= limit:
        return page, None
    return page, encode_cursor([found[limit - 1].created_at, found[limit - 1].id])


def rank_accounts(*, limit: int, cursor: str | None):
    """Organisations by combined score (Σ S · f + Σ fit), employees left out; pages share one instant."""
    at, boundary = utcnow(), None
    if cursor:
        boundary = decode_cursor(cursor, [NUMBER, MemberScore.organization, NUMBER])
        at = cursor_instant(boundary[2])
        if not finite(boundary[0]) or boundary[1] is None:
            raise invalid_cursor()
    factor = current_decay(at)
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
