"""Outgoing mail through Flask-Mailman: `smtp` in production, `console` in development, `file`
(one file per message) for tests and demos. Settings are read when a mail is sent."""

from __future__ import annotations

from flask import Flask, current_app
from flask_mailman import EmailMessage

from core.extensions import mail

MAIL_BACKENDS = ("smtp", "console", "file")


def init_mail(app: Flask) -> None:
    if app.config["MAIL_BACKEND"] not in MAIL_BACKENDS:
        raise RuntimeError(f"MAIL_BACKEND must be one of {', '.join(MAIL_BACKENDS)}.")
    mail.init_app(app)


def connection():
    config = current_app.config
    backend = config["MAIL_BACKEND"]
    options = {
        "smtp": {
            "host": config["MAIL_SERVER"],
            "port": config["MAIL_PORT"],
            "username": config["MAIL_USERNAME"],
            "password": config["MAIL_PASSWORD"],
            "use_tls": config["MAIL_USE_TLS"],
            "timeout": config["MAIL_TIMEOUT"],
        },
        "file": {"file_path": config["MAIL_FILE_PATH"]},
    }
    return mail.get_connection(backend=backend, **options.get(backend, {}))


def send_mail(to: str, subject: str, body: str) -> None:
    """Send one plain-text mail now (call it from a task, never from a request)."""
    message = EmailMessage(subject, body, current_app.config["MAIL_DEFAULT_SENDER"], [to], connection=connection())
    message.send()
