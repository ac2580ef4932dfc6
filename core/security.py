"""Request-level protections: CSRF, security headers, a request id on every response."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, request

from core.auth import authenticated_by_token
from core.caller import assign_request_id, current_request_id
from core.errors import Forbidden, UnsupportedMediaType

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
FORM_BLUEPRINTS = "form_blueprints"  # app.extensions key: blueprints that accept HTML form posts


def allowed_origin(origin: str) -> bool:
    parts = urlsplit(origin)
    own = urlsplit(request.host_url)
    if (parts.scheme, parts.netloc) == (own.scheme, own.netloc):
        return True
    public = urlsplit(current_app.config["PUBLIC_SITE_URL"])
    if (parts.scheme, parts.netloc) == (public.scheme, public.netloc):
        return True
    return origin.rstrip("/") in current_app.config["CORS_ORIGINS"]


def accept_form_posts(app: Flask, blueprint_name: str) -> None:
    """Let one blueprint of server-rendered pages take HTML form posts (not JSON). That
    blueprint must check a CSRF token on every write itself; the API's rules are unchanged."""
    app.extensions.setdefault(FORM_BLUEPRINTS, set()).add(blueprint_name)


def protect_against_csrf() -> None:
    """Writes not authenticated by an API token must come from an allowed origin, as JSON.

    SameSite=Lax already keeps the cookie off cross-site form posts; the origin
    check and the JSON-only rule close the remaining gaps (old browsers, subdomains).
    A request a token really authenticated carries no ambient credential, so it passes;
    a mere Authorization header (a bogus one beside a session cookie) does not.
    """
    if request.method in SAFE_METHODS or authenticated_by_token():
        return
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if origin and not allowed_origin(origin):
        raise Forbidden("Cross-origin request refused.")
    if request.blueprint in current_app.extensions.get(FORM_BLUEPRINTS, ()):
        return  # server-rendered pages post HTML forms; the blueprint checks their CSRF token
    if request.content_length and not request.is_json:
        raise UnsupportedMediaType("Request bodies must be JSON (Content-Type: application/json).")


def add_security_headers(response):
    response.headers["X-Request-ID"] = current_request_id()
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    is_docs = request.path.startswith("/api/docs")
    response.headers.setdefault("Content-Security-Policy", DOCS_CSP if is_docs else API_CSP)
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def add_link_headers(response):
    """The few headers a redirect needs, set directly: the lean links app's after_request."""
    response.headers["X-Request-ID"] = current_request_id()
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return response


def register_security(app: Flask) -> None:
    app.before_request(assign_request_id)
    app.before_request(protect_against_csrf)
    app.after_request(add_security_headers)
