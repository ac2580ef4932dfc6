"""What Peerloop keeps of a request's caller: an id for the logs, the client address only as a
keyed hash, and the first-party visitor cookie that stitches a browser to the member it becomes."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from functools import lru_cache

from flask import current_app, g, request

REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Set by the referral redirect, read at sign-up: the referrals domain receives the value as a
# member_signed_up argument, so no domain reads another's cookie.
VISITOR_COOKIE = "plvid"


def keyed_hash(value: str, purpose: str) -> str:
    """HMAC of a value under a key derived from SECRET_KEY, one key per purpose."""
    return hmac.new(purpose_key(current_app.config["SECRET_KEY"], purpose), value.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=64)
def purpose_key(secret: str, purpose: str) -> bytes:
    """The purpose's key, derived once per process (the redirect hashes an address per click)."""
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def hashed_remote_address() -> str:
    """Rate-limit key: the client address, never stored in the clear."""
    return keyed_hash(request.remote_addr or "unknown", "rate-limit")


def visitor_id() -> str | None:
    """The visitor cookie as the browser sent it (its receivers validate it)."""
    return request.cookies.get(VISITOR_COOKIE)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


def current_request_id() -> str:
    try:
        return g.get("request_id", "-")
    except RuntimeError:  # outside a request or app context
        return "-"


def assign_request_id() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    # 32 hex digits, like uuid4().hex, without building a UUID on every request (the redirect's hot path)
    g.request_id = incoming if REQUEST_ID_PATTERN.match(incoming) else secrets.token_hex(16)
