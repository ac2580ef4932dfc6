"""Ranked full-text search over thread titles and post bodies (PostgreSQL FTS or SQLite FTS5)."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from community.models import Post, Thread
from core.errors import ValidationFailed
from core.extensions import db
from core.pagination import decode_cursor, encode_cursor
from core.routing import MAX_ID

WORD = re.compile(r"\w+", re.UNICODE)
TITLE_WEIGHT = 4.0
RANK = sa.literal_column("rank", sa.Float)  # for cursor decoding
FTS = sa.table("post_search", sa.column("rowid", sa.Integer), sa.column("title"), sa.column("body"))


def fts5_query(q: str) -> str:
    """Each word as a quoted FTS5 string: user input can never be FTS5 syntax."""
    words = WORD.findall(q)
    if not words:
        raise ValidationFailed("Search for at least one word.", field="q")
    return " ".join(f'"{word}"' for word in words[:20])


def ranked_postgresql(q: str):
    # The words only, all required, as fts5_query does on SQLite: `bluetooth*` and `-battery`
    # search "bluetooth" and "battery" on both backends (no operator syntax on either).
    config = sa.literal_column("'english'::regconfig")
    query = sa.func.plainto_tsquery(config, " ".join(WORD.findall(q)[:20]))
    body = sa.func.to_tsvector(config, Post.body)
    title = sa.func.to_tsvector(config, Thread.title)
    title_hit = sa.and_(Post.is_opener, title.op("@@")(query))
    rank = sa.func.ts_rank(body, query) + sa.case((title_hit, TITLE_WEIGHT * sa.func.ts_rank(title, query)), else_=0)
    matches = sa.or_(body.op("@@")(query), title_hit)
    return (
        sa.select(Post.id.label("id"), sa.cast(rank, sa.Float).label("rank"))
        .join(Thread, Thread.id == Post.thread_id)
        .where(matches)
    )


def ranked_sqlite(q: str):
    # bm25 is lower-is-better; negate it so every backend sorts rank descending.
    rank = -sa.func.bm25(sa.literal_column("post_search"), TITLE_WEIGHT, 1.0)
    return (
        sa.select(Post.id.label("id"), sa.cast(rank, sa.Float).label("rank"))
        .select_from(FTS)
        .join(Post, Post.id == FTS.c.rowid)
        .join(Thread, Thread.id == Post.thread_id)
        .where(sa.literal_column("post_search").op("MATCH")(fts5_query(q)))
    )


def search(q: str, *, limit: int, cursor: str | None):
    """Visible posts (openers match on their thread's title too), best first, keyset-paginated on (rank, id)."""
    if not WORD.search(q):
        raise ValidationFailed("Search for at least one word.", field="q")
    ranked = ranked_postgresql(q) if db.session.get_bind().dialect.name == "postgresql" else ranked_sqlite(q)
    visible = (Post.deleted_at.is_(None), Post.hidden.is_(False), Thread.deleted_at.is_(None), Thread.hidden.is_(False))
    hits = ranked.where(*visible).subquery()
    stmt = sa.select(hits.c.id, hits.c.rank)
    if cursor:
        rank, post_id = decode_cursor(cursor, [RANK, Post.id])
        if not 1 <= post_id <= MAX_ID:
            raise ValidationFailed("Invalid cursor; use next_cursor from the previous page.", field="cursor")
        stmt = stmt.where(
            sa.tuple_(hits.c.rank, hits.c.id) < sa.tuple_(sa.literal(rank, sa.Float), sa.literal(post_id))
        )
    rows = db.session.execute(stmt.order_by(hits.c.rank.desc(), hits.c.id.desc()).limit(limit + 1)).all()
    next_cursor = encode_cursor([rows[limit - 1].rank, rows[limit - 1].id]) if len(rows) > limit else None
    found = sa.select(Post).where(Post.id.in_([r.id for r in rows[:limit]])).options(selectinload(Post.thread))
    posts = {post.id: post for post in db.session.scalars(found)}
    return [SearchHit(posts[r.id], r.rank) for r in rows[:limit]], next_cursor


class SearchHit:
    def __init__(self, post: Post, rank: float):
        self.post, self.rank = post, rank
        self.thread = post.thread
        self.type = "thread" if post.is_opener else "post"
        text = " ".join(post.body.split())
        self.snippet = text if len(text) <= 200 else text[:199] + "…"
