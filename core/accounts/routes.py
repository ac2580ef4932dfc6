from flask import current_app, request
from flask_login import current_user

from core.accounts import services, sessions, verification
from core.accounts.schemas import (
    AcceptedSchema,
    EmailRequestSchema,
    ExportSchema,
    LoginSchema,
    MemberAdminUpdateSchema,
    MemberListArgsSchema,
    MemberSchema,
    NewTokenSchema,
    PasswordResetSchema,
    ProfileUpdateSchema,
    SignupSchema,
    TokenCreateSchema,
    TokenSchema,
    VerifyEmailSchema,
)
from core.auth import Blueprint, ensure_session, login_limit, sign_in_limit
from core.caller import hashed_remote_address, keyed_hash, visitor_id
from core.extensions import db, limiter
from core.pagination import page, page_schema
from core.schemas import NoArgsSchema

blp = Blueprint("accounts", __name__, description="Sign-up, sign-in, your profile and tokens; admin member management.")


def signup_limit() -> str:
    return current_app.config["RATELIMIT_SIGNUP"]


def mail_request_limit() -> str:
    return current_app.config["RATELIMIT_MAIL_REQUEST"]


def mailed_address_key() -> str:
    """Rate-limit key for mail requests: the address to be mailed (hashed), so no one can flood
    one inbox from many addresses; the signed-in member's for a verification mail."""
    if current_user.is_authenticated:
        return f"member:{current_user.get_id()}"
    body = request.get_json(silent=True) if request.is_json else None
    email = body.get("email") if isinstance(body, dict) else None
    if not isinstance(email, str):
        return hashed_remote_address()
    return keyed_hash(email.strip().lower(), "rate-limit-mail")


@blp.route("/auth/signup", methods=["POST"])
@limiter.limit(signup_limit)
@blp.arguments(SignupSchema)
@blp.response(201, MemberSchema)
def signup(data):
    """Create an account and sign in"""
    member = services.create_member(**data, visitor_id=visitor_id(), client_address=request.remote_addr)
    db.session.commit()
    sessions.sign_in(member)
    return member


@blp.route("/auth/login", methods=["POST"])
@sign_in_limit
@blp.arguments(LoginSchema)
@blp.response(200, MemberSchema)
def login(data):
    """Sign in with email and password (sets the session cookie)"""
    member = services.authenticate(data["email"], data["password"])
    sessions.sign_in(member)
    return member


@blp.route("/auth/logout", methods=["POST"])
@blp.response(204)
def logout():
    """Sign out: this session ends on the server too (a copy of the cookie no longer works)"""
    sessions.sign_out()


@blp.route("/auth/logout-all", methods=["POST"])
@blp.login_required(session_only=True)
@blp.response(204)
def logout_all():
    """Sign out everywhere: every session of yours ends, this one included"""
    sessions.end_all_sessions(current_user.id)
    db.session.commit()
    sessions.sign_out()


@blp.route("/auth/verify-email", methods=["POST"])
@limiter.limit(login_limit)
@blp.arguments(VerifyEmailSchema)
@blp.response(204)
def verify_email(data):
    """Confirm your address with the token from the verification mail"""
    verification.verify_email(data["token"])
    db.session.commit()


@blp.route("/auth/verify-email/request", methods=["POST"])
@limiter.limit(mail_request_limit, key_func=mailed_address_key)
@blp.login_required(session_only=True)
@blp.response(202, AcceptedSchema)
def request_verification_mail():
    """Mail a new verification link to your current address"""
    services.request_verification(current_user)
    db.session.commit()
    return {"message": "A new link is on its way."}


@blp.route("/auth/password-reset/request", methods=["POST"])
@limiter.limit(mail_request_limit)
@limiter.limit(mail_request_limit, key_func=mailed_address_key)
@blp.arguments(EmailRequestSchema)
@blp.response(202, AcceptedSchema)
def request_password_reset(data):
    """Mail a password reset link, if an account has this address (the answer is the same either way)"""
    verification.request_password_reset(data["email"])
    db.session.commit()
    return {"message": "If an account has this address, a link is on its way."}


@blp.route("/auth/password-reset", methods=["POST"])
@limiter.limit(login_limit)
@blp.arguments(PasswordResetSchema)
@blp.response(204)
def reset_password(data):
    """Set a new password with the token from the reset mail; every session ends"""
    verification.reset_password(data["token"], data["password"])
    db.session.commit()
    sessions.sign_out()


@blp.route("/me", methods=["GET"])
@blp.login_required()
@blp.response(200, MemberSchema)
def get_me():
    """Your own account"""
    return current_user


@blp.route("/me", methods=["PATCH"])
@blp.login_required()
@blp.arguments(ProfileUpdateSchema(partial=True))
@blp.response(200, MemberSchema)
def update_me(changes):
    """Change your profile; a new email or password needs a signed-in session and current_password"""
    if "email" in changes or "password" in changes:
        ensure_session("Changing your email or password")
    new_password = "password" in changes
    member = services.update_profile(current_user._get_current_object(), changes)
    db.session.commit()
    if new_password:
        sessions.sign_in(member)  # every session ended; this browser gets a fresh one
    return member


@blp.route("/me", methods=["DELETE"])
@blp.login_required(session_only=True)
@blp.response(204)
def delete_me():
    """Erase your personal data; your content stays, anonymised"""
    services.erase_member(current_user._get_current_object())
    db.session.commit()
    sessions.sign_out()


@blp.route("/me/export", methods=["GET"])
@blp.login_required()
@blp.response(200, ExportSchema)
def export_me():
    """All the data Peerloop holds about you, as JSON"""
    return services.export_member(current_user)


@blp.route("/me/tokens", methods=["GET"])
@blp.login_required()
@blp.arguments(NoArgsSchema, location="query")
@blp.response(200, TokenSchema(many=True))
def list_tokens(args):
    """Your active API tokens (never the secrets)"""
    return services.active_tokens(current_user)


@blp.route("/me/tokens", methods=["POST"])
@blp.login_required(session_only=True)
@blp.arguments(TokenCreateSchema)
@blp.response(201, NewTokenSchema)
def create_token(data):
    """Create a personal API token; the token is shown only in this response"""
    token = services.create_token(current_user, data["name"], data["scopes"])
    db.session.commit()
    return token


@blp.route("/me/tokens/<int:token_id>", methods=["DELETE"])
@blp.login_required(session_only=True)
@blp.response(204)
def revoke_token(token_id):
    """Revoke one of your API tokens"""
    services.revoke_token(current_user, token_id)
    db.session.commit()


@blp.route("/members", methods=["GET"])
@blp.login_required("admin")
@blp.arguments(MemberListArgsSchema, location="query")
@blp.response(200, page_schema(MemberSchema))
def list_members(args):
    """All members, for admins"""
    return page(*services.list_members(**args))


@blp.route("/members/<int:member_id>", methods=["PATCH"])
@blp.login_required("admin")
@blp.arguments(MemberAdminUpdateSchema)
@blp.response(200, MemberSchema)
def update_member(changes, member_id):
    """Set a member's roles, member type or ban"""
    member = services.update_member_as_admin(services.get_member(member_id), changes, current_user)
    db.session.commit()
    return member
