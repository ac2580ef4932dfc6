"""Who is calling, and may they: session cookies, bearer tokens, roles and scopes."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from functools import wraps

import sqlalchemy as sa
from flask import current_app, g, request, session
from flask_login import current_user
from flask_smorest import Blueprint as SmorestBlueprint
from sqlalchemy.orm import joinedload

from core.accounts.models import ApiToken, Member, MemberSession
from core.errors import Forbidden, Unauthorized
from core.extensions import db, limiter, login_manager
from core.models import utcnow
from core.routing import MAX_ID
from core.schemas import RequestParser

SCOPES = ("read", "write", "ingest")
# Who may hold an 'ingest' token and call the ingestion endpoints (leads' event API).
INGEST_ROLES = ("marketer", "admin")
TOKEN_PREFIX = "plt_"
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)
# The cookie session's key naming its server-side row (core.accounts.sessions).
SESSION_KEY = "sid"
SESSION_ONLY_MESSAGE = "{} needs a signed-in session; API tokens cannot manage the account."

AUTH_ERROR_RESPONSES = {
    "401": {"$ref": "#/components/responses/UNAUTHORIZED"},
    "403": {"$ref": "#/components/responses/FORBIDDEN"},
}
SECURITY = [{"cookieAuth": []}, {"bearerAuth": []}]
SESSION_SECURITY = [{"cookieAuth": []}]
INGEST_SECURITY = [{"bearerAuth": []}, {"ingestBasic": []}]


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough to make a leaked
    # table useless; a slow KDF would only slow every API call.
    return hashlib.sha256(token.encode()).hexdigest()


def login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


# One budget per client for every password form (the API's login, the console's sign-in):
# two forms must not double the guesses an address gets.
sign_in_limit = limiter.shared_limit(login_limit, scope="sign-in", methods=["POST"])


@login_manager.user_loader
def load_session_member(member_id: str):
    """The member of the cookie's session, if its server-side row still exists and is young enough."""
    key = session.get(SESSION_KEY)
    if not isinstance(key, str) or not member_id.isdigit() or int(member_id) > MAX_ID:
        return None
    oldest = utcnow() - timedelta(days=current_app.config["SESSION_LIFETIME_DAYS"])
    member = db.session.scalar(
        sa.select(Member)
        .join(MemberSession, MemberSession.member_id == Member.id)
        .where(
            MemberSession.key_hash == hash_token(key),
            MemberSession.member_id == int(member_id),
            MemberSession.created_at > oldest,
        )
    )
    return member if member is not None and member.can_sign_in else None


def presented_token(req) -> str | None:
    """`Bearer <token>`, or HTTP Basic with the token as username (Segment's clients do this)."""
    header = req.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip() or None
    basic = req.authorization
    if basic is not None and basic.type == "basic" and basic.username:
        return basic.username
    return None


# The token, its member and their roles in one statement, built once with the hash as a parameter:
# every token-authenticated request runs it.
TOKEN_WITH_MEMBER = (
    sa.select(ApiToken)
    .where(ApiToken.revoked_at.is_(None), ApiToken.token_hash == sa.bindparam("token_hash"))
    .options(joinedload(ApiToken.member).joinedload(Member.roles))
)


@login_manager.request_loader
def load_token_member(req):
    plaintext = presented_token(req)
    if plaintext is None:
        return None
    token = db.session.scalars(TOKEN_WITH_MEMBER, {"token_hash": hash_token(plaintext)}).unique().one_or_none()
    if token is None or not token.member.can_sign_in:
        return None
    g.token_scopes = frozenset(token.scopes)
    if token.last_used_at is None or utcnow() - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        token.last_used_at = utcnow()
        db.session.commit()  # at most once per interval per token
    return token.member


def authenticated_by_token() -> bool:
    """True when an API token (not a session cookie) authenticated this request."""
    return current_user.is_authenticated and g.get("token_scopes") is not None


def ensure_session(action: str) -> None:
    """Account management needs a signed-in session: a token must never outlive or outrank it."""
    if authenticated_by_token():
        raise Forbidden(SESSION_ONLY_MESSAGE.format(action))


@login_manager.unauthorized_handler
def unauthorized():
    raise Unauthorized("Sign in or send an API token (Authorization: Bearer <token>).")


def has_role(member, role: str) -> bool:
    return role in member.role_names or "admin" in member.role_names


def is_staff(member) -> bool:
    """Moderators, marketers, sales and admins: anyone with a role beyond `member`."""
    return member is not None and any(role != "member" for role in member.role_names)


def required_scope() -> str:
    return "read" if request.method in ("GET", "HEAD", "OPTIONS") else "write"


def check_access(roles: tuple[str, ...], scope: str | None) -> None:
    if not current_user.is_authenticated:
        raise Unauthorized("Sign in or send an API token (Authorization: Bearer <token>).")
    scopes = g.get("token_scopes")
    needed = scope or required_scope()
    if scopes is not None and needed not in scopes:
        raise Forbidden(f"This API token lacks the '{needed}' scope.")
    if roles and not any(has_role(current_user, role) for role in roles):
        raise Forbidden(f"Requires one of the roles: {', '.join(roles)}.")


class Blueprint(SmorestBlueprint):
    """flask-smorest blueprint that also knows who may call each view."""

    ARGUMENTS_PARSER = RequestParser()

    def login_required(self, *roles: str, scope: str | None = None, session_only: bool = False):
        """Allow signed-in callers (with one of `roles`, if given); document it in OpenAPI.
        `session_only`: a signed-in browser session only, API tokens get 403."""
        description = f"Roles: {', '.join(roles)}." if roles else "Any signed-in member."
        if session_only:
            description += " A signed-in session only: API tokens get 403."

        def decorator(view):
            @wraps(view)
            def guarded(*args, **kwargs):
                check_access(roles, scope)
                if session_only:
                    ensure_session("This")
                return view(*args, **kwargs)

            security = INGEST_SECURITY if scope == "ingest" else SESSION_SECURITY if session_only else SECURITY
            return self.doc(security=security, responses=AUTH_ERROR_RESPONSES, description=description)(guarded)

        return decorator
