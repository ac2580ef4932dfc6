"""The community blueprint and what its views share: the viewer and per-member rate limits."""

from flask import current_app
from flask_login import current_user

from core.auth import Blueprint
from core.caller import hashed_remote_address
from core.extensions import limiter

blp = Blueprint(
    "community",
    __name__,
    description="Threads, replies, reactions, peer recommendations with NPS, moderation and search.",
)


def viewer():
    """The signed-in member, or None for anonymous readers."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def member_key() -> str:
    """Rate-limit per member (views check sign-in first, so there always is one)."""
    member_id = current_user.get_id() if current_user.is_authenticated else None
    return f"member:{member_id}" if member_id else hashed_remote_address()


def post_limit() -> str:
    return current_app.config["RATELIMIT_POST"]


def flag_limit() -> str:
    return current_app.config["RATELIMIT_FLAG"]


# Threads and replies share one budget per member.
posting_limit = limiter.shared_limit(post_limit, scope="community-posting", key_func=member_key)
flagging_limit = limiter.limit(flag_limit, key_func=member_key)

ERROR_DESCRIPTIONS = {
    404: "Not found (or hidden from you)",
    409: "Conflicts with the current state",
    429: "Rate limited; retry after Retry-After seconds",
}


def responds(*codes: int):
    """Document the domain errors a view may answer with, in the app-wide error envelope."""
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return blp.doc(responses={str(code): {**error, "description": ERROR_DESCRIPTIONS[code]} for code in codes})
