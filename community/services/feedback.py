"""CSAT and CES: a thread's author rates the help they got once someone replied; lists and summaries."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from community.models import Category, Post, Thread, ThreadFeedback
from community.services.announcements import feedback_saved
from community.services.common import ensure_can_contribute, get_row, record_activity
from core.accounts.models import Member
from core.auth import has_role
from core.database import upsert_statement
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import utcnow
from core.pagination import paginate
from core.reporting import month_axis, month_of, percent, rounded
from core.signals import FEEDBACK_GIVEN

SATISFIED = 4  # CSAT is the percentage of ratings of 4 or 5
STAFF_ROLES = ("moderator", "marketer", "admin")  # who reads feedback and answers it


def has_reply_from_others(thread: Thread) -> bool:
    stmt = sa.select(Post.id).where(
        Post.thread_id == thread.id,
        Post.is_opener.is_(False),
        Post.deleted_at.is_(None),
        Post.hidden.is_(False),
        Post.author_id != thread.author_id,
    )
    return db.session.scalar(stmt.limit(1)) is not None


def rate_thread(thread: Thread, member: Member, *, csat: int, ces: int, comment: str = "") -> ThreadFeedback:
    """The author's rating, made or changed in one atomic upsert; feedback_given is recorded once."""
    ensure_can_contribute(member)
    if thread.author_id != member.id:
        raise Forbidden("Only the thread's author rates the help they got.")
    if not has_reply_from_others(thread):
        raise Conflict("Rate the help once someone else has replied.", field="thread_id")
    now, table = utcnow(), ThreadFeedback.__table__
    rating = {"csat": csat, "ces": ces, "comment": comment.strip(), "updated_at": now}
    created = db.session.execute(
        upsert_statement(table)
        .values(thread_id=thread.id, member_id=member.id, created_at=now, **rating)
        .on_conflict_do_nothing(index_elements=[table.c.thread_id])
        .returning(table.c.id)
    ).scalar()
    if created is None:
        db.session.execute(sa.update(table).where(table.c.thread_id == thread.id).values(**rating))
    else:
        record_activity(member.id, FEEDBACK_GIVEN, "thread", thread.id, csat=csat, ces=ces)
    feedback_saved.send(
        current_app._get_current_object(), member_id=member.id, thread_id=thread.id, csat=csat, ces=ces, rated_at=now
    )
    stmt = sa.select(ThreadFeedback).where(ThreadFeedback.thread_id == thread.id)
    return db.session.scalars(stmt.execution_options(populate_existing=True)).one()


def get_feedback(feedback_id: int) -> ThreadFeedback:
    feedback = get_row(ThreadFeedback, feedback_id)
    if feedback is None:
        raise NotFound("No such feedback.")
    return feedback


def thread_feedback(thread: Thread, viewer: Member) -> ThreadFeedback:
    """The rating of a thread, for its author and staff."""
    if thread.author_id != viewer.id and not any(has_role(viewer, role) for role in STAFF_ROLES):
        raise Forbidden("Only the thread's author and staff see its rating.")
    feedback = db.session.scalar(sa.select(ThreadFeedback).where(ThreadFeedback.thread_id == thread.id))
    if feedback is None:
        raise NotFound("This thread has not been rated.")
    return feedback


def check_category(category: int | None) -> None:
    if category is not None and get_row(Category, category) is None:
        raise ValidationFailed("No such category.", field="category")


def in_range(column, start: datetime | None, end: datetime | None) -> list:
    return [condition for condition in (start and column >= start, end and column < end) if condition is not None]


def list_feedback(
    *, limit: int, cursor: str | None, category: int | None = None, start=None, end=None
) -> tuple[list, str | None]:
    """Ratings, newest first; `from`/`to` bound when the rating was given."""
    check_category(category)
    stmt = sa.select(ThreadFeedback).where(*in_range(ThreadFeedback.updated_at, start, end))
    if category is not None:
        stmt = stmt.where(ThreadFeedback.thread.has(Thread.category_id == category))
    return paginate(stmt, [ThreadFeedback.id], limit=limit, cursor=cursor)


def counted_members():
    """Banned and erased members' ratings do not count in any summary."""
    return sa.and_(Member.banned_at.is_(None), Member.erased_at.is_(None))


def feedback_summary(*, group_by: str, start=None, end=None, category: int | None = None) -> dict:
    """Per month or category: responses, CSAT (percent of 4-5) and CES (mean), from the database's sums."""
    check_category(category)
    key = month_of(ThreadFeedback.updated_at) if group_by == "month" else Thread.category_id
    stmt = (
        sa.select(
            key.label("key"),
            sa.func.count(ThreadFeedback.id),
            sa.func.sum(sa.case((ThreadFeedback.csat >= SATISFIED, 1), else_=0)),
            sa.func.sum(ThreadFeedback.ces),
        )
        .join(Thread, Thread.id == ThreadFeedback.thread_id)
        .join(Member, Member.id == ThreadFeedback.member_id)
        .where(counted_members(), *in_range(ThreadFeedback.updated_at, start, end))
        .group_by(key)
    )
    if category is not None:
        stmt = stmt.where(Thread.category_id == category)
    found = {row[0]: row[1:] for row in db.session.execute(stmt)}
    items = month_items(found, start, end) if group_by == "month" else category_items(found)
    return {"group_by": group_by, "category": category, "from": start, "to": end, "items": items}


def summary_item(key: str, label: str, counts) -> dict:
    responses, satisfied, ces_total = (int(n or 0) for n in counts)
    ces = rounded(Decimal(ces_total) / Decimal(responses)) if responses else None
    return {"key": key, "label": label, "responses": responses, "csat": percent(satisfied, responses), "ces": ces}


def month_items(found: dict, start, end) -> list[dict]:
    return [summary_item(key, key, found.get(key, (0, 0, 0))) for key in month_axis(found, start, end)]


def category_items(found: dict) -> list[dict]:
    names = dict(db.session.execute(sa.select(Category.id, Category.name).where(Category.id.in_(list(found)))).all())
    items = [summary_item(str(key), names.get(key, str(key)), counts) for key, counts in found.items()]
    return sorted(items, key=lambda item: (item["label"], item["key"]))
