"""Server-side sessions: the cookie names a row, and a session ends when its row goes.

Flask's signed cookie alone cannot be taken back: a copy saved before logout would keep
working. So each sign-in stores a row keyed by the SHA-256 of a random key the cookie
carries; logout deletes that row, logout-all, a password change or reset, a ban and an
erasure delete all of the member's rows.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, session
from flask_login import login_user, logout_user

from core.accounts.models import Member, MemberSession
from core.auth import SESSION_KEY, hash_token
from core.extensions import db
from core.models import utcnow


def start_session(member: Member) -> str:
    """A new session of `member`; returns the key for the cookie (never stored)."""
    key = secrets.token_urlsafe(32)
    db.session.add(MemberSession(member_id=member.id, key_hash=hash_token(key)))
    db.session.flush()
    return key


def end_session(key: str) -> None:
    db.session.execute(sa.delete(MemberSession).where(MemberSession.key_hash == hash_token(key)))


def end_all_sessions(member_id: int) -> None:
    db.session.execute(sa.delete(MemberSession).where(MemberSession.member_id == member_id))


def purge_expired_sessions() -> int:
    """Delete sessions past SESSION_LIFETIME_DAYS (they are refused already); returns how many."""
    oldest = utcnow() - timedelta(days=current_app.config["SESSION_LIFETIME_DAYS"])
    return db.session.execute(sa.delete(MemberSession).where(MemberSession.created_at <= oldest)).rowcount


def sign_in(member: Member) -> None:
    """Give this browser a new server-side session of `member` (ending the one it had), and commit
    it before the cookie names it. The API's login and the console's sign-in both come here."""
    previous = session.get(SESSION_KEY)
    if isinstance(previous, str):
        end_session(previous)
    key = start_session(member)
    db.session.commit()
    login_user(member)
    session[SESSION_KEY] = key


def sign_out() -> None:
    """End this browser's session on the server too (a saved copy of the cookie stops working)."""
    key = session.get(SESSION_KEY)
    if isinstance(key, str):
        end_session(key)
        db.session.commit()
    logout_user()
    session.clear()
