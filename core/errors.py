"""Domain errors and the one JSON error envelope every failure is answered with."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from core.caller import current_request_id
from core.extensions import db

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule said no. Services raise these; never abort() in a service."""

    code = 400
    status = "Bad Request"

    def __init__(self, message: str, *, field: str | None = None, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or ({field: [message]} if field else {})


class ValidationFailed(DomainError):
    code, status = 422, "Unprocessable Entity"


class Unauthorized(DomainError):
    code, status = 401, "Unauthorized"


class Forbidden(DomainError):
    code, status = 403, "Forbidden"


class NotFound(DomainError):
    code, status = 404, "Not Found"


class Conflict(DomainError):
    code, status = 409, "Conflict"


class UnsupportedMediaType(DomainError):
    code, status = 415, "Unsupported Media Type"


def envelope(code: int, status: str, message: str, errors: dict | None = None, headers=None):
    body = {
        "code": code,
        "status": status,
        "message": message,
        "errors": errors or {},
        "request_id": current_request_id(),
    }
    response = jsonify(body)
    response.status_code = code
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten_webargs_messages(messages: dict) -> dict:
    """webargs groups errors by location ({"json": {...}}); clients want them by field."""
    errors: dict = {}
    for location, fields in messages.items():
        if location == "json" and isinstance(fields, list):
            errors["body"] = fields  # the body itself is malformed
        elif isinstance(fields, dict):
            errors.update(fields)
        else:
            errors[location] = fields
    return errors


def rollback() -> None:
    db.session.rollback()


def handle_http_exception(error: HTTPException):
    data = getattr(error, "data", None) or {}
    errors = flatten_webargs_messages(data.get("messages", {})) if "messages" in data else data.get("errors")
    message = data.get("message") or error.description or error.name
    if errors and error.code in (400, 422):
        fields = ", ".join(sorted(errors))
        message = f"Invalid input: {fields}."
    headers = dict(data.get("headers") or {})
    if error.code == 429 and error.response is not None:
        headers.update(
            {k: v for k, v in error.response.headers.items() if k.lower().startswith(("retry-after", "x-ratelimit"))}
        )
    return envelope(error.code or 500, error.name, message, errors, headers)


def handle_domain_error(error: DomainError):
    rollback()
    return envelope(error.code, error.status, error.message, error.errors)


def handle_integrity_error(error: IntegrityError):
    rollback()
    logger.info("integrity error answered with 409: %s", error.orig.__class__.__name__)
    return envelope(409, "Conflict", "This conflicts with an existing record.")


def handle_operational_error(error: OperationalError):
    rollback()
    logger.exception("database unavailable")
    return envelope(
        503, "Service Unavailable", "The database is busy or unavailable; retry shortly.", headers={"Retry-After": "1"}
    )


def handle_unexpected(error: Exception):
    rollback()
    current_app.logger.exception("unhandled error")
    return envelope(500, "Internal Server Error", "Internal server error; quote the request_id when reporting it.")


def register_errorhandlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(OperationalError, handle_operational_error)
    app.register_error_handler(Exception, handle_unexpected)
