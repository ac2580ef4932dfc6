"""Flags, the moderator queue, hiding posts, locking and pinning threads, banning members."""

from __future__ import annotations

import sqlalchemy as sa

from community.models import Post, PostFlag, Thread
from community.services.common import ensure_can_contribute, ensure_moderator, get_member_or_404, get_row
from core.accounts import services as accounts
from core.accounts.models import Member
from core.auth import has_role
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import utcnow
from core.pagination import paginate


def flag_post(post: Post, member: Member, *, reason: str, details: str = "") -> PostFlag:
    ensure_can_contribute(member)
    if post.author_id == member.id:
        raise Forbidden("You cannot flag your own post.")
    taken = sa.select(PostFlag.id).where(PostFlag.post_id == post.id, PostFlag.reporter_id == member.id)
    if db.session.scalar(taken) is not None:
        raise Conflict("You have flagged this post already.", field="post_id")
    flag = PostFlag(post_id=post.id, reporter_id=member.id, reason=reason, details=details.strip())
    db.session.add(flag)
    db.session.flush()
    return flag


def list_flags(moderator: Member, *, status: str, limit: int, cursor: str | None):
    ensure_moderator(moderator)
    stmt = sa.select(PostFlag).where(PostFlag.status == status)
    return paginate(stmt, [PostFlag.id], limit=limit, cursor=cursor, descending=status != "open")


def get_flag(flag_id: int) -> PostFlag:
    flag = get_row(PostFlag, flag_id)
    if flag is None:
        raise NotFound("No such flag.")
    return flag


def resolve_flags(flags: list[PostFlag], moderator: Member, status: str) -> None:
    for flag in flags:
        flag.status, flag.resolved_at, flag.resolved_by_id = status, utcnow(), moderator.id


def dismiss_flag(flag: PostFlag, moderator: Member) -> PostFlag:
    ensure_moderator(moderator)
    if flag.status != "open":
        raise Conflict("This flag is resolved already.")
    resolve_flags([flag], moderator, "dismissed")
    db.session.flush()
    return flag


def get_any_post(post_id: int) -> Post:
    post = get_row(Post, post_id)
    if post is None or post.deleted_at is not None:
        raise NotFound("No such post.")
    return post


def set_post_hidden(post: Post, moderator: Member, hidden: bool) -> Post:
    """Hiding resolves the post's open flags; hiding an opening post hides its thread."""
    ensure_moderator(moderator)
    post.hidden = hidden
    if post.is_opener:
        db.session.get(Thread, post.thread_id).hidden = hidden
    if hidden:
        open_flags = db.session.scalars(
            sa.select(PostFlag).where(PostFlag.post_id == post.id, PostFlag.status == "open")
        )
        resolve_flags(list(open_flags), moderator, "actioned")
    db.session.flush()
    return post


def get_any_thread(thread_id: int) -> Thread:
    thread = get_row(Thread, thread_id)
    if thread is None or thread.deleted_at is not None:
        raise NotFound("No such thread.")
    return thread


def set_thread_state(thread: Thread, moderator: Member | None, **state: bool) -> Thread:
    ensure_moderator(moderator)
    for name, value in state.items():  # locked / pinned
        setattr(thread, name, value)
    db.session.flush()
    return thread


def set_member_banned(member_id: int, moderator: Member, banned: bool) -> Member:
    ensure_moderator(moderator)
    member = get_member_or_404(member_id)
    if member.id == moderator.id:
        raise ValidationFailed("You cannot ban or unban yourself.", field="member_id")
    staff = any(role != "member" for role in member.role_names)
    if staff and not has_role(moderator, "admin"):
        raise Forbidden("Only an admin may ban or unban staff.")
    accounts.set_banned(member, banned)
    db.session.flush()
    return member
