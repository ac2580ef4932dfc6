from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import TimestampMixin, in_list, utcnow

ROLES = ("member", "moderator", "marketer", "sales", "admin")
# A prospect is a profile made for someone who has not signed up (no password); signing up
# with its email claims it (core.accounts.services.create_member).
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
