from flask import current_app, request
from flask_login import current_user, login_user, logout_user

from core.accounts import services
from core.accounts.schemas import (
    ExportSchema,
    LoginSchema,
    MemberAdminUpdateSchema,
    MemberListArgsSchema,
    MemberSchema,
    NewTokenSchema,
    ProfileUpdateSchema,
    SignupSchema,
    TokenCreateSchema,
    TokenSchema,
)
from core.auth import Blueprint
from core.caller import visitor_id
from core.extensions import db, limiter
from core.pagination import page, page_schema
from core.schemas import NoArgsSchema

blp = Blueprint("accounts", __name__, description="Sign-up, sign-in, your profile and tokens; admin member management.")


def signup_limit() -> str:
    return current_app.config["RATELIMIT_SIGNUP"]


def login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


@blp.route("/auth/signup", methods=["POST"])
@limiter.limit(signup_limit)
@blp.arguments(SignupSchema)
@blp.response(201, MemberSchema)
def signup(data):
    """Create an account and sign in"""
    member = services.create_member(**data, visitor_id=visitor_id(), client_address=request.remote_addr)
    db.session.commit()
    login_user(member)
    return member


@blp.route("/auth/login", methods=["POST"])
@limiter.limit(login_limit)
@blp.arguments(LoginSchema)
@blp.response(200, MemberSchema)
def login(data):
    """Sign in with email and password (sets the session cookie)"""
    member = services.authenticate(data["email"], data["password"])
    db.session.commit()
    login_user(member)
    return member


@blp.route("/auth/logout", methods=["POST"])
@blp.response(204)
def logout():
    """Sign out (clears the session cookie)"""
    logout_user()


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
    """Change your profile or password"""
    member = services.update_profile(current_user, changes)
    db.session.commit()
    return member


@blp.route("/me", methods=["DELETE"])
@blp.login_required()
@blp.response(204)
def delete_me():
    """Erase your personal data; your content stays, anonymised"""
    services.erase_member(current_user._get_current_object())
    db.session.commit()
    logout_user()


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
@blp.login_required()
@blp.arguments(TokenCreateSchema)
@blp.response(201, NewTokenSchema)
def create_token(data):
    """Create a personal API token; the token is shown only in this response"""
    token = services.create_token(current_user, data["name"], data["scopes"])
    db.session.commit()
    return token


@blp.route("/me/tokens/<int:token_id>", methods=["DELETE"])
@blp.login_required()
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
