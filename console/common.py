"""What every console page shares: input checked by the API's schemas, error pages, headers, filters."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import render_template, request, url_for
from flask_wtf.csrf import CSRFError
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import HTTPException

from console.blueprint import bp, csrf, pages
from console.pages import console_member
from core.errors import DomainError, ValidationFailed, rollback

CONSOLE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
EXPIRED_FORM = "This form has expired or did not come from the console. Reload the page and try again."

bp.before_request(csrf.protect)  # every write (POST) carries the session's CSRF token


@bp.after_request
def console_headers(response):
    response.headers["Content-Security-Policy"] = CONSOLE_CSP
    if request.endpoint != "console.static":
        response.headers["Cache-Control"] = "no-store"  # pages show people's data
    return response


@bp.context_processor
def layout_context() -> dict:
    member = console_member()
    return {"member": member, "navigation": pages.navigation(member) if member is not None else []}


@bp.app_template_global()
def url_here(**changes) -> str:
    """This page's URL with some query arguments changed (None or '' leaves one out)."""
    query = {**request.args.to_dict(), **changes}
    kept = {key: value for key, value in query.items() if value not in (None, "")}
    # Encoded here, not passed to url_for: a query key such as `endpoint` or `_method` is one of its own arguments.
    path = url_for(request.endpoint, **(request.view_args or {}))
    return f"{path}?{urlencode(kept)}" if kept else path


def render(template: str, code: int = 200, **context):
    return render_template(f"console/{template}", **context), code


def load(schema: Schema, data) -> tuple[dict | None, dict]:
    """`data` checked by the API's schema, blank fields left out: (values, {}), or (None, errors by field)."""
    given = {key: value for key, value in data.items() if value != ""}
    try:
        return schema.load(given), {}
    except ValidationError as error:
        return None, error.messages if isinstance(error.messages, dict) else {"form": error.messages}


def checked(report, **args) -> tuple:
    """A report's result, or (None, errors by field) when the service refuses the arguments."""
    try:
        return report(**args), {}
    except ValidationFailed as error:
        return None, error.errors or {"form": [error.message]}


def render_error(status: int, message: str):
    return render("error.html", status, status=status, message=message)


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    rollback()
    return render_error(error.code, error.message)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    rollback()
    message = EXPIRED_FORM if isinstance(error, CSRFError) else error.description or error.name
    body, status = render_error(error.code or 500, message)
    retry = error.response.headers.get("Retry-After") if error.response is not None else None
    return body, status, {"Retry-After": retry} if retry else {}


def humanize(name: str | None) -> str:
    """thread_created -> Thread created."""
    return (name or "").replace("_", " ").capitalize()


def number(value, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:,.{digits}f}"


def signed(value, digits: int = 1) -> str:
    return ("+" if value > 0 else "") + number(value, digits)


def percent(value, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def when(moment) -> str:
    if moment is None:
        return "–"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(UTC).strftime("%-d %b %Y, %H:%M UTC")


def ago(moment) -> str:
    """How long ago, coarsely: 'just now', '5 minutes ago', '3 days ago'."""
    if moment is None:
        return "never"
    seconds = (datetime.now(UTC) - moment).total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count > 1 else ''} ago"
    return "just now"


for _filter in (humanize, number, signed, percent, when, ago):
    bp.add_app_template_filter(_filter)
