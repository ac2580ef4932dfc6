from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import TimestampMixin, in_list, utcnow

ROLES = ("member", "moderator", "marketer", "sales", "admin")
# A prospect is a profile made for someone who has not signed up (no password). Its history
# joins an account only once that account has verified the address (core.accounts.prospects).
PROSPECT = "prospect"
MEMBER_TYPES = ("customer", "fan", "employee", PROSPECT)


def new_referral_code() -> str:
    return secrets.token_urlsafe(8)  # 64 random bits, 11 characters


class Member(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "members"
    __table_args__ = (sa.CheckConstraint(in_list("member_type", MEMBER_TYPES), name="member_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    # Lower-cased copy: uniqueness and look-ups are case-insensitive on every backend.
    email_normalized: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(80))
    # Short, unguessable, URL-safe; the member's personal referral link is /r/<referral_code>.
    referral_code: Mapped[str] = mapped_column(sa.String(16), unique=True, default=new_referral_code)
    member_type: Mapped[str] = mapped_column(sa.String(16), default="customer")
    company: Mapped[str | None] = mapped_column(sa.String(120))
    job_title: Mapped[str | None] = mapped_column(sa.String(120))
    bio: Mapped[str | None] = mapped_column(sa.String(1000))
    email_verified_at: Mapped[datetime | None]
    # Set on a prospect whose address an account took before verifying it: the prospect steps
    # aside (its email_normalized becomes a placeholder) and waits here for that address to be
    # verified, when it joins the account (core.accounts.prospects).
    claim_email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    banned_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]
    content_erased_at: Mapped[datetime | None]

    roles: Mapped[list[MemberRole]] = relationship(
        back_populates="member", cascade="all, delete-orphan", lazy="selectin", order_by="MemberRole.role"
    )
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="member", cascade="all, delete-orphan")

    @property
    def role_names(self) -> list[str]:
        return ["member", *(r.role for r in self.roles if r.role != "member")]

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_banned(self) -> bool:
        return self.banned_at is not None

    @property
    def can_sign_in(self) -> bool:
        return self.erased_at is None

    def __repr__(self) -> str:
        return f"<Member {self.id}>"


class MemberRole(db.Model):
    __tablename__ = "member_roles"
    __table_args__ = (sa.CheckConstraint(in_list("role", ROLES), name="role"),)

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    member: Mapped[Member] = relationship(back_populates="roles")


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # First characters of the token, so its owner can tell tokens apart.
    token_prefix: Mapped[str] = mapped_column(sa.String(12))
    scope_list: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship(back_populates="tokens")

    @property
    def scopes(self) -> list[str]:
        return self.scope_list.split()


class MemberSession(db.Model):
    """One signed-in browser. The cookie carries a random key; only its SHA-256 is kept, and
    deleting the row ends the session whatever cookie a browser still holds."""

    __tablename__ = "member_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"
MAIL_TOKEN_PURPOSES = (VERIFY_EMAIL, RESET_PASSWORD)


class MailToken(db.Model):
    """A single-use, expiring secret sent by mail (a verification or password-reset link);
    stored as its SHA-256, with the address it was sent to."""

    __tablename__ = "mail_tokens"
    __table_args__ = (sa.CheckConstraint(in_list("purpose", MAIL_TOKEN_PURPOSES), name="purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email_normalized: Mapped[str] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ErasedEmail(db.Model):
    """An erased person's address as a keyed hash: integrations cannot create them again."""

    __tablename__ = "erased_emails"

    email_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)


class ErasureAddress(db.Model):
    """The address of a member being erased, until the background erasure has scrubbed it from
    others' rows. Kept here, not in the task's arguments: those wait in the outbox and travel
    through the broker, and carry ids only."""

    __tablename__ = "erasure_addresses"

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
