"""Categories, threads and replies."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from community.models import REACTION_KINDS, Category, ContentShare, Post, Thread, ThreadTag
from community.services.announcements import post_created
from community.services.common import (
    bump_profile,
    ensure_author_or_moderator,
    ensure_can_contribute,
    ensure_moderator,
    get_row,
    increment,
    is_moderator,
    record_activity,
)
from community.services.markdown import render_markdown
from community.services.notices import notify_edited_post, notify_new_post
from community.services.reactions import reaction_points, withdraw_accepted_answer
from core.accounts.models import Member
from core.database import upsert_statement
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import utcnow
from core.pagination import paginate
from core.signals import CONTENT_SHARED, POST_CREATED, THREAD_CREATED
from core.tasks import enqueue_after_commit
from referrals.services import links

REPLY_SCORE = 2  # a reply weighs two reactions in the "top" order
RECONCILE_COUNTERS_TASK = "community.reconcile_thread_counters"  # community.tasks
THREAD_ORDERS = {
    "latest": lambda: [Thread.pinned, Thread.created_at, Thread.id],
    "active": lambda: [Thread.pinned, Thread.last_activity_at, Thread.id],
    "top": lambda: [Thread.pinned, Thread.score, Thread.id],
}


def list_categories(*, limit: int, cursor: str | None):
    return paginate(sa.select(Category), [Category.id], limit=limit, cursor=cursor, descending=False)


def create_category(actor: Member | None, slug: str, name: str, description: str = "") -> Category:
    ensure_moderator(actor)
    if db.session.scalar(sa.select(Category.id).where(Category.slug == slug)) is not None:
        raise Conflict("A category with this slug exists already.", field="slug")
    category = Category(slug=slug, name=name.strip(), description=description.strip())
    db.session.add(category)
    db.session.flush()
    return category


def get_category(category_id: int, field: str = "category_id") -> Category:
    category = get_row(Category, category_id)
    if category is None:
        raise ValidationFailed("No such category.", field=field)
    return category


def normalise_tags(tags: list[str]) -> list[str]:
    return sorted({tag.strip().lower() for tag in tags})


def create_thread(author: Member, *, category_id: int, title: str, body: str, tags: list[str]) -> Thread:
    ensure_can_contribute(author)
    get_category(category_id)
    thread = Thread(
        category_id=category_id,
        author=author,
        title=title.strip(),
        tag_rows=[ThreadTag(tag=tag) for tag in normalise_tags(tags)],
    )
    db.session.add(thread)
    db.session.flush()
    opener = Post(thread_id=thread.id, author_id=author.id, is_opener=True, body=body, body_html=render_markdown(body))
    db.session.add(opener)
    bump_profile(author.id, thread_count=1)
    db.session.flush()
    db.session.refresh(thread)
    record_activity(author.id, THREAD_CREATED, "thread", thread.id, category_id=category_id, tags=thread.tags)
    notify_new_post(opener, thread)
    return thread


def visible_threads(viewer: Member | None) -> sa.Select:
    stmt = sa.select(Thread).where(Thread.deleted_at.is_(None))
    return stmt if is_moderator(viewer) else stmt.where(Thread.hidden.is_(False))


def list_threads(
    viewer,
    *,
    sort: str,
    limit: int,
    cursor: str | None,
    category: int | None = None,
    tag: str | None = None,
    solved: bool | None = None,
):
    stmt = visible_threads(viewer)
    if category is not None:
        stmt = stmt.where(Thread.category_id == category)
    if tag:
        stmt = stmt.where(Thread.tag_rows.any(ThreadTag.tag == tag.strip().lower()))
    if solved is not None:
        stmt = stmt.where(Thread.accepted_post_id.is_not(None) if solved else Thread.accepted_post_id.is_(None))
    return paginate(stmt, THREAD_ORDERS[sort](), limit=limit, cursor=cursor)


def get_thread(thread_id: int, viewer: Member | None) -> Thread:
    thread = get_row(Thread, thread_id)
    if thread is None or thread.is_deleted or (thread.hidden and not is_moderator(viewer)):
        raise NotFound("No such thread.")
    return thread


def update_thread(thread: Thread, actor: Member, changes: dict) -> Thread:
    ensure_author_or_moderator(thread.author_id, actor)
    if "category_id" in changes:
        thread.category = get_category(changes["category_id"])
    if "title" in changes:
        thread.title = changes["title"].strip()
    if "tags" in changes:
        thread.tag_rows = [ThreadTag(tag=tag) for tag in normalise_tags(changes["tags"])]
    if "body" in changes:
        edit_body(thread.opening_post, changes["body"], actor)
    thread.updated_at = utcnow()
    db.session.flush()
    return thread


def edit_body(post: Post, body: str, actor: Member) -> None:
    before, post.body = post.body, body
    post.body_html = render_markdown(body)
    post.edited_at = utcnow()
    notify_edited_post(post, actor, before)


def delete_thread(thread: Thread, actor: Member) -> None:
    ensure_author_or_moderator(thread.author_id, actor)
    thread.deleted_at = utcnow()
    db.session.flush()


def visible_posts(viewer: Member | None) -> sa.Select:
    stmt = sa.select(Post).where(Post.deleted_at.is_(None))
    return stmt if is_moderator(viewer) else stmt.where(Post.hidden.is_(False))


def list_posts(thread: Thread, viewer, *, limit: int, cursor: str | None):
    stmt = visible_posts(viewer).where(Post.thread_id == thread.id)
    return paginate(stmt, [Post.id], limit=limit, cursor=cursor, descending=False)


def get_post(post_id: int, viewer: Member | None) -> Post:
    post = get_row(Post, post_id)
    if post is None or post.deleted_at is not None or (post.hidden and not is_moderator(viewer)):
        raise NotFound("No such post.")
    get_thread(post.thread_id, viewer)
    return post


def create_post(thread: Thread, author: Member, *, body: str, reply_to_id: int | None = None) -> Post:
    ensure_can_contribute(author)
    if thread.locked and not is_moderator(author):
        raise Forbidden("This thread is locked: it takes no new replies.")
    if reply_to_id is not None:
        parent = get_row(Post, reply_to_id)
        if parent is None or parent.thread_id != thread.id or parent.deleted_at is not None:
            raise ValidationFailed("reply_to_id must be a post of this thread.", field="reply_to_id")
    post = Post(
        thread_id=thread.id, author_id=author.id, reply_to_id=reply_to_id, body=body, body_html=render_markdown(body)
    )
    db.session.add(post)
    db.session.flush()
    increment(Thread, thread.id, reply_count=1, score=REPLY_SCORE)
    thread.last_activity_at = post.created_at
    bump_profile(author.id, post_count=1)
    record_activity(author.id, POST_CREATED, "post", post.id, thread_id=thread.id)
    notify_new_post(post, thread)
    db.session.flush()
    post_created.send(
        current_app._get_current_object(),
        post_id=post.id, thread_id=thread.id, author_id=author.id, created_at=post.created_at,
    )  # fmt: skip
    return post


def update_post(post: Post, actor: Member, body: str) -> Post:
    ensure_author_or_moderator(post.author_id, actor)
    edit_body(post, body, actor)
    db.session.flush()
    return post


def delete_post(post: Post, actor: Member) -> None:
    """A deleted reply leaves every public counter as hiding it does (its thread's, and its author's
    post_count, reactions received and reputation); a hidden reply has left them already."""
    ensure_author_or_moderator(post.author_id, actor)
    if post.is_opener:
        raise ValidationFailed("Delete the thread to remove its opening post.", field="post_id")
    state = flip_post(post, Post.deleted_at.is_(None), deleted_at=utcnow())
    if state is not None and not state.hidden:
        count_publicly(post, reactions_of(state), -1)
    db.session.flush()
    if post.like_count or post.helpful_count or post.insightful_count:
        enqueue_after_commit(RECONCILE_COUNTERS_TASK, post.thread_id)  # recount from the rows, in case of drift


def flip_post(post: Post, condition, **values):
    """One UPDATE of the post while `condition` holds, returning its hidden flag and reaction counts
    (None if it no longer held). It locks the row: a reaction racing with it waits, then sees the
    new state, so what the caller adds to or takes from counters is exact."""
    counts = [getattr(Post, f"{kind}_count") for kind in REACTION_KINDS]
    state = db.session.execute(
        sa.update(Post).where(Post.id == post.id, condition).values(**values).returning(Post.hidden, *counts),
        execution_options={"synchronize_session": False},
    ).one_or_none()
    db.session.refresh(post)
    return state


def reactions_of(state) -> dict[str, int]:
    return dict(zip(REACTION_KINDS, state[1:], strict=True))


def count_publicly(post: Post, reactions: dict[str, int], sign: int) -> None:
    """Add (sign +1) or take out (-1) what a post contributes to public counters."""
    thread = db.session.get(Thread, post.thread_id)
    received = sum(reactions.values())
    points = reaction_points(reactions)
    if post.is_opener:
        thread.hidden = sign < 0
        bump_profile(post.author_id, thread_count=sign, reactions_received=sign * received, reputation=sign * points)
        return
    increment(
        Thread, thread.id, reply_count=sign, reaction_count=sign * received, score=sign * (REPLY_SCORE + received)
    )
    bump_profile(post.author_id, post_count=sign, reactions_received=sign * received, reputation=sign * points)
    refresh_last_activity(thread.id)
    if sign < 0 and thread.accepted_post_id == post.id:
        withdraw_accepted_answer(thread)


def reconcile_thread_counters(thread_id: int) -> None:
    """One UPDATE recomputing reply_count, reaction_count and score from the visible posts (idempotent)."""
    live = sa.and_(Post.thread_id == thread_id, Post.deleted_at.is_(None), Post.hidden.is_(False))
    replies = sa.select(sa.func.count(Post.id)).where(live, Post.is_opener.is_(False)).scalar_subquery()
    total = sa.func.coalesce(sa.func.sum(Post.like_count + Post.helpful_count + Post.insightful_count), 0)
    reactions = sa.select(total).where(live).scalar_subquery()
    db.session.execute(
        sa.update(Thread)
        .where(Thread.id == thread_id)
        .values(reply_count=replies, reaction_count=reactions, score=reactions + REPLY_SCORE * replies),
        execution_options={"synchronize_session": False},
    )


def refresh_last_activity(thread_id: int) -> None:
    """last_activity_at = the newest visible post's time (a hidden reply does not make a thread active)."""
    visible = sa.and_(Post.thread_id == thread_id, Post.deleted_at.is_(None), Post.hidden.is_(False))
    newest = sa.select(sa.func.max(Post.created_at)).where(visible).scalar_subquery()
    db.session.execute(
        sa.update(Thread)
        .where(Thread.id == thread_id)
        .values(last_activity_at=sa.func.coalesce(newest, Thread.created_at)),
        execution_options={"synchronize_session": "fetch"},
    )


def share_thread(thread: Thread, member: Member) -> dict:
    return share("thread", thread.id, member)


def share(kind: str, content_id: int, member: Member) -> dict:
    """A link owned by the sharer; referrals' /r/<code> counts the click and lands on the content."""
    ensure_can_contribute(member)
    link = links.share_link(member, kind, content_id)
    table = ContentShare.__table__
    first = (
        upsert_statement(table)
        .values(member_id=member.id, content_type=kind, content_id=content_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[table.c.member_id, table.c.content_type, table.c.content_id])
        .returning(table.c.member_id)
    )
    if db.session.execute(first).scalar() is not None:  # sharing again hands out the same link, silently
        record_activity(member.id, CONTENT_SHARED, kind, content_id, url=link["url"])
    return link
