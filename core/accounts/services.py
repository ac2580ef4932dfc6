"""Account operations. They flush but never commit; the caller commits once."""

from __future__ import annotations

import logging
import secrets
from functools import cache

import sqlalchemy as sa
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from core.accounts.mail_tokens import drop_mail_tokens
from core.accounts.models import PROSPECT, ApiToken, Member, MemberRole
from core.accounts.prospects import (
    claim_waiting_prospect,
    hold_for_erasure,
    is_unclaimed_prospect,
    normalize_email,
    park_prospect,
    suppress_email,
    take_for_erasure,
    unpark_prospect,
)
from core.accounts.sessions import end_all_sessions
from core.auth import INGEST_ROLES, TOKEN_PREFIX, has_role, hash_token
from core.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from core.extensions import db
from core.models import utcnow
from core.pagination import paginate
from core.signals import member_erased, member_export_requested, member_signed_up, member_type_changed
from core.tasks import enqueue_after_commit

logger = logging.getLogger(__name__)
ERASE_CONTENT_TASK = "core.erase_member_content"  # core.accounts.tasks.erase_member_content
VERIFICATION_MAIL_TASK = "core.send_verification_mail"  # core.accounts.tasks.send_verification_mail
ERASED_TOKEN_NAME = "[erased]"


@cache
def password_hasher(profile: str) -> PasswordHasher:
    return PasswordHasher.from_parameters(getattr(profiles, profile))


def hasher() -> PasswordHasher:
    return password_hasher(current_app.config["PASSWORD_HASH_PROFILE"])


@cache
def dummy_hash(profile: str) -> str:
    """A hash of a random password: unknown emails are checked against it, so a login costs the
    same whether or not the account exists."""
    return password_hasher(profile).hash(secrets.token_urlsafe(16))


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
    verified: bool = False,
) -> Member:
    """A new member. Signing up with a prospect's address takes it; the prospect's history joins
    only once the address is verified (`verified`: the caller vouches for it, e.g. an operator)."""
    existing = find_member_by_email(email)
    if existing is not None and not (password and is_unclaimed_prospect(existing)):
        raise Conflict("An account with this email already exists.", field="email")
    if existing is not None:
        park_prospect(existing)
    member = new_member(email, password, display_name, roles=roles, member_type=member_type)
    if verified:
        mark_email_verified(member)
    elif password:
        enqueue_after_commit(VERIFICATION_MAIL_TASK, member.id)
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


def create_prospect(email: str, display_name: str) -> Member:
    """A profile for someone an integration knows. If an account holds the address unverified,
    the prospect waits aside for whoever verifies it (core.accounts.prospects)."""
    holder = find_member_by_email(email)
    if holder is None:
        return new_member(email, None, display_name, roles=(), member_type=PROSPECT)
    if holder.email_verified or is_unclaimed_prospect(holder):
        raise Conflict("A member with this email already exists.", field="email")
    prospect = new_member(
        f"prospect-{secrets.token_hex(8)}@invalid", None, display_name, roles=(), member_type=PROSPECT
    )
    prospect.email, prospect.claim_email = email.strip(), normalize_email(email)
    db.session.flush()
    return prospect


def request_verification(member: Member) -> None:
    """Mail a new verification link (the task makes it), unless the address is verified already."""
    if member.email_verified:
        raise Conflict("Your email address is verified already.", field="email")
    enqueue_after_commit(VERIFICATION_MAIL_TASK, member.id)


def mark_email_verified(member: Member) -> None:
    """The member proved they own their address: a prospect waiting for it joins them."""
    if member.email_verified_at is None:
        member.email_verified_at = utcnow()
    claim_waiting_prospect(member)


def authenticate(email: str, password: str) -> Member:
    member = find_member_by_email(email)
    stored = member.password_hash if member is not None and member.can_sign_in else None
    # An unknown email is checked against a dummy hash: the same work, so timing tells nothing.
    matches = verify_password(stored or dummy_hash(current_app.config["PASSWORD_HASH_PROFILE"]), password)
    if stored is None or not matches:
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
    """Profile fields as given; a new email or password needs the current password. A new
    password ends every session (the caller starts a fresh one); a new email must be verified."""
    new_password = changes.pop("password", None)
    new_email = changes.pop("email", None)
    current_password = changes.pop("current_password", None)
    if new_password is not None or new_email is not None:
        if not current_password or not verify_password(member.password_hash or "", current_password):
            raise ValidationFailed(
                "Give your current password to change your email or password.", field="current_password"
            )
    if new_password is not None:
        set_password(member, new_password)
    if new_email is not None and normalize_email(new_email) != member.email_normalized:
        change_email(member, new_email)
    for name, value in changes.items():
        setattr(member, name, value.strip() if isinstance(value, str) else value)
    db.session.flush()
    return member


def set_password(member: Member, password: str) -> None:
    member.password_hash = hasher().hash(password)
    end_all_sessions(member.id)


def change_email(member: Member, email: str) -> None:
    """Take the new address (a prospect holding it waits for verification); a verification mail goes to it."""
    existing = find_member_by_email(email)
    if existing is not None and not is_unclaimed_prospect(existing):
        raise Conflict("An account with this email already exists.", field="email")
    if existing is not None:
        park_prospect(existing)
    previous = member.email_normalized
    member.email, member.email_normalized = email.strip(), normalize_email(email)
    member.email_verified_at = None
    db.session.flush()
    unpark_prospect(previous)
    enqueue_after_commit(VERIFICATION_MAIL_TASK, member.id)


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
    """A ban ends the member's sessions and revokes their tokens; they may sign in again, to read."""
    if banned and member.banned_at is None:
        member.banned_at = utcnow()
        end_all_sessions(member.id)
        revoke_all_tokens(member)
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


def revoke_all_tokens(member: Member) -> None:
    for token in active_tokens(member):
        token.revoked_at = utcnow()


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
    email, verified = member.email_normalized, member.email_verified
    member.email = f"erased-{member.id}@invalid"
    member.email_normalized = member.email
    member.display_name = "Former member"
    member.password_hash = None
    member.company = member.job_title = member.bio = None
    member.email_verified_at = None
    member.erased_at = utcnow()
    revoke_all_tokens(member)
    for token in member.tokens:
        token.name = ERASED_TOKEN_NAME
    end_all_sessions(member.id)
    drop_mail_tokens(member.id)
    db.session.flush()
    suppress_email(email)
    if not verified:
        unpark_prospect(email)  # a prospect waiting for an address this account never proved keeps it
    hold_for_erasure(member.id, email)  # so domains can scrub it where rows of others mention it
    enqueue_after_commit(ERASE_CONTENT_TASK, member.id)
    logger.info("member %s erased their account", member.id)


def erase_member_content(member_id: int, email: str | None = None) -> bool:
    """Every domain anonymises its rows of an erased member; False when there is nothing to do.
    `email`: only from outbox rows written before the address was held apart (they carried it)."""
    member = db.session.get(Member, member_id)
    if member is None or member.content_erased_at is not None:
        return False  # unknown or already done: safe to run twice
    email = take_for_erasure(member_id) or email
    member_erased.send(current_app._get_current_object(), member_id=member_id, email=email)
    member.content_erased_at = utcnow()
    db.session.flush()
    return True
