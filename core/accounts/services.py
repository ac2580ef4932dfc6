"""Account operations. They flush but never commit; the caller commits once."""

from __future__ import annotations

import logging
import secrets
from functools import cache

import sqlalchemy as sa
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from core.accounts.models import PROSPECT, ApiToken, Member, MemberRole
from core.auth import INGEST_ROLES, TOKEN_PREFIX, has_role, hash_token
from core.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from core.extensions import db
from core.models import utcnow
from core.pagination import paginate
from core.signals import member_erased, member_export_requested, member_signed_up, member_type_changed
from core.tasks import enqueue_after_commit

logger = logging.getLogger(__name__)
ERASE_CONTENT_TASK = "core.erase_member_content"  # core.accounts.tasks.erase_member_content


@cache
def password_hasher(profile: str) -> PasswordHasher:
    return PasswordHasher.from_parameters(getattr(profiles, profile))


def hasher() -> PasswordHasher:
    return password_hasher(current_app.config["PASSWORD_HASH_PROFILE"])


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_member_by_email(email: str) -> Member | None:
    return db.session.scalar(sa.select(Member).where(Member.email_normalized == normalize_email(email)))


def create_member(
    email: str,
    password: str | None,
    display_name: str,
    *,
    roles: tuple[str, ...] = (),
    member_type: str = "customer",
    referral_code: str | None = None,
    visitor_id: str | None = None,
    client_address: str | None = None,
) -> Member:
    existing = find_member_by_email(email)
    if existing is not None and is_unclaimed_prospect(existing) and password:
        member = claim_prospect(existing, password, display_name)
    elif existing is not None:
        raise Conflict("An account with this email already exists.", field="email")
    else:
        member = new_member(email, password, display_name, roles=roles, member_type=member_type)
    if password:  # a person signed up; a profile an integration created is not a sign-up (yet)
        app = current_app._get_current_object()
        member_signed_up.send(
            app, member=member, referral_code=referral_code, visitor_id=visitor_id, client_address=client_address
        )
    return member


def new_member(email: str, password: str | None, display_name: str, *, roles, member_type: str) -> Member:
    member = Member(
        email=email.strip(),
        email_normalized=normalize_email(email),
        password_hash=hasher().hash(password) if password else None,
        display_name=display_name.strip(),
        member_type=member_type,
        roles=[MemberRole(role=r) for r in sorted(set(roles) - {"member"})],
    )
    db.session.add(member)
    db.session.flush()
    return member


def is_unclaimed_prospect(member: Member) -> bool:
    """A prospect profile (made without a password) that nobody has signed in to yet."""
    return member.member_type == PROSPECT and member.password_hash is None and member.erased_at is None


def claim_prospect(member: Member, password: str, display_name: str) -> Member:
    """The person behind a prospect profile signs up: the account, and its history, become theirs."""
    member.password_hash = hasher().hash(password)
    member.display_name = display_name.strip()
    member.member_type = "customer"
    db.session.flush()
    return member


def authenticate(email: str, password: str) -> Member:
    member = find_member_by_email(email)
    stored = member.password_hash if member is not None and member.can_sign_in else None
    if stored is None or not verify_password(stored, password):
        raise Unauthorized("Email or password is wrong.")
    if hasher().check_needs_rehash(stored):
        member.password_hash = hasher().hash(password)
    return member


def verify_password(stored: str, password: str) -> bool:
    try:
        return hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def update_profile(member: Member, changes: dict) -> Member:
    new_password = changes.pop("password", None)
    current_password = changes.pop("current_password", None)
    if new_password is not None:
        if not current_password or not verify_password(member.password_hash or "", current_password):
            raise ValidationFailed("Give your current password to set a new one.", field="current_password")
        member.password_hash = hasher().hash(new_password)
    for name, value in changes.items():
        setattr(member, name, value.strip() if isinstance(value, str) else value)
    db.session.flush()
    return member


def update_member_as_admin(member: Member, changes: dict, actor: Member) -> Member:
    if "roles" in changes:
        roles = set(changes["roles"]) - {"member"}
        if member.id == actor.id and "admin" not in roles:
            raise ValidationFailed("You cannot remove your own admin role.", field="roles")
        member.roles = [MemberRole(role=r) for r in sorted(roles)]
    if "member_type" in changes and changes["member_type"] != member.member_type:
        previous, member.member_type = member.member_type, changes["member_type"]
        db.session.flush()
        member_type_changed.send(current_app._get_current_object(), member=member, previous=previous)
    if "banned" in changes:
        set_banned(member, changes["banned"])
    db.session.flush()
    return member


def set_banned(member: Member, banned: bool) -> Member:
    if banned and member.banned_at is None:
        member.banned_at = utcnow()
    elif not banned:
        member.banned_at = None
    return member


def list_members(*, limit: int, cursor: str | None, role: str | None = None, q: str | None = None):
    stmt = sa.select(Member).where(Member.erased_at.is_(None))
    if role and role != "member":
        stmt = stmt.where(Member.roles.any(MemberRole.role == role))
    if q:
        pattern = f"%{q.lower()}%"
        stmt = stmt.where(
            sa.or_(Member.email_normalized.like(pattern), sa.func.lower(Member.display_name).like(pattern))
        )
    return paginate(stmt, [Member.id], limit=limit, cursor=cursor)


def get_member(member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None or member.erased_at is not None:
        raise NotFound("No such member.")
    return member


def create_token(member: Member, name: str, scopes: list[str]) -> ApiToken:
    """A new token; its secret is on `token.plaintext` for this one response only."""
    if "ingest" in scopes and not any(has_role(member, r) for r in INGEST_ROLES):
        raise Forbidden("Only marketers and admins may create 'ingest' tokens.", field="scopes")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        member=member,
        name=name.strip(),
        token_hash=hash_token(plaintext),
        token_prefix=plaintext[:10],
        scope_list=" ".join(sorted(set(scopes))),
    )
    db.session.add(token)
    db.session.flush()
    token.plaintext = plaintext
    return token


def active_tokens(member: Member) -> list[ApiToken]:
    return [t for t in member.tokens if t.revoked_at is None]


def revoke_token(member: Member, token_id: int) -> None:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.member_id != member.id or token.revoked_at is not None:
        raise NotFound("No such token.")
    token.revoked_at = utcnow()
    db.session.flush()


def export_member(member: Member) -> dict:
    app = current_app._get_current_object()
    domains: dict = {}
    for _receiver, section in member_export_requested.send(app, member=member):
        domains.update(section or {})
    return {"member": member, "tokens": active_tokens(member), "exported_at": utcnow(), "domains": domains}


def erase_member(member: Member) -> None:
    """Erase personal data now; domains anonymise their rows in the background."""
    member.email = f"erased-{member.id}@invalid"
    member.email_normalized = member.email
    member.display_name = "Former member"
    member.password_hash = None
    member.company = member.job_title = member.bio = None
    member.erased_at = utcnow()
    for token in active_tokens(member):
        token.revoked_at = member.erased_at
    db.session.flush()
    enqueue_after_commit(ERASE_CONTENT_TASK, member.id)
    logger.info("member %s erased their account", member.id)


def erase_member_content(member_id: int) -> bool:
    """Every domain anonymises its rows of an erased member; False when there is nothing to do."""
    member = db.session.get(Member, member_id)
    if member is None or member.content_erased_at is not None:
        return False  # unknown or already done: safe to run twice
    member_erased.send(current_app._get_current_object(), member_id=member_id)
    member.content_erased_at = utcnow()
    db.session.flush()
    return True
