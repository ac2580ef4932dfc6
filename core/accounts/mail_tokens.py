"""Single-use, expiring secrets sent by mail: only their SHA-256 is stored."""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa

from core.accounts.models import MailToken, Member
from core.auth import hash_token
from core.errors import ValidationFailed
from core.extensions import db
from core.models import utcnow

INVALID_LINK = "This link is invalid, used or expired; ask for a new one."


def issue_mail_token(member: Member, purpose: str, lifetime: timedelta) -> str:
    """A new token for `member`'s current address; returns the secret for the mail (never stored)."""
    secret = secrets.token_urlsafe(32)
    db.session.add(
        MailToken(
            member_id=member.id,
            purpose=purpose,
            token_hash=hash_token(secret),
            email_normalized=member.email_normalized,
            expires_at=utcnow() + lifetime,
        )
    )
    db.session.flush()
    return secret


def use_mail_token(secret: str, purpose: str) -> Member:
    """Spend a token: one UPDATE marks it used, so of two concurrent uses exactly one succeeds.
    Its member is returned only if the address it was sent to is still theirs."""
    now = utcnow()
    row = db.session.execute(
        sa.update(MailToken)
        .where(
            MailToken.token_hash == hash_token(secret),
            MailToken.purpose == purpose,
            MailToken.used_at.is_(None),
            MailToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(MailToken.member_id, MailToken.email_normalized)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    member = db.session.get(Member, row.member_id) if row is not None else None
    if member is None or member.erased_at is not None or member.email_normalized != row.email_normalized:
        raise ValidationFailed(INVALID_LINK, field="token")
    return member


def drop_mail_tokens(member_id: int) -> None:
    db.session.execute(sa.delete(MailToken).where(MailToken.member_id == member_id))
