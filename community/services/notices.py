"""Notifications community raises, in the transaction of the action: replies, mentions, accepted answers.

A mention is a Markdown link to a member's profile whose text starts with `@`:
`[@Ada Admin](/members/12)` (what a client's autocomplete inserts). It names the member by id, so
renamed or look-alike display names cannot misdirect it, and it renders as plain text.
"""

from __future__ import annotations

import sqlalchemy as sa

from community.models import Post, Thread
from community.services.common import get_row
from community.services.markdown import mentioned_member_ids
from core.accounts.models import Member
from core.extensions import db
from core.notifications import services as notifications
from core.notifications.models import ANSWER_ACCEPTED, MENTION, REPLY

MAX_MENTIONS = 20  # more in one post notifies nobody beyond the first twenty: no mass pinging


def reachable(member_ids: list[int]) -> list[int]:
    """Of these ids, the members who can sign in to read a notification (not erased, not a bare prospect)."""
    if not member_ids:
        return []
    stmt = sa.select(Member.id).where(
        Member.id.in_(member_ids), Member.erased_at.is_(None), Member.password_hash.is_not(None)
    )
    return sorted(db.session.scalars(stmt))


def mentions(body: str, before: str = "") -> list[int]:
    """Members mentioned in `body` and not already in `before` (an edit notifies only new mentions)."""
    old = set(mentioned_member_ids(before))
    return reachable([m for m in mentioned_member_ids(body) if m not in old][:MAX_MENTIONS])


def post_data(post: Post) -> dict:
    return {"thread_id": post.thread_id, "post_id": post.id}


def notify_new_post(post: Post, thread: Thread) -> None:
    """A reply tells the thread's author and the author replied to; a mention tells whom it names.
    Each member hears once per post, and a mention says more than a reply."""
    kinds: dict[int, str] = {}
    if not post.is_opener:
        kinds[thread.author_id] = REPLY
        parent = get_row(Post, post.reply_to_id) if post.reply_to_id else None
        if parent is not None:
            kinds[parent.author_id] = REPLY
    kinds.update(dict.fromkeys(mentions(post.body), MENTION))
    for member_id, kind in sorted(kinds.items()):
        notifications.notify(
            member_id, kind, actor_id=post.author_id, subject_type="post", subject_id=post.id, data=post_data(post)
        )


def notify_edited_post(post: Post, actor: Member, before: str) -> None:
    for member_id in mentions(post.body, before):
        notifications.notify(
            member_id, MENTION, actor_id=actor.id, subject_type="post", subject_id=post.id, data=post_data(post)
        )


def notify_accepted(post: Post, actor: Member) -> None:
    notifications.notify(
        post.author_id, ANSWER_ACCEPTED, actor_id=actor.id, subject_type="post", subject_id=post.id,
        data=post_data(post),
    )  # fmt: skip
