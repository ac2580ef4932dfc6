"""Proving an address: verification links and password resets, both mailed by a task.

The request only enqueues (by task name, sent after commit); the task makes the single-use
token and sends the mail, so a secret never waits in a queue or the database in the clear.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

from core.accounts.mail_tokens import issue_mail_token, use_mail_token
from core.accounts.models import RESET_PASSWORD, VERIFY_EMAIL, Member
from core.accounts.services import find_member_by_email, mark_email_verified, set_password
from core.extensions import db
from core.mail import send_mail
from core.tasks import enqueue_after_commit

logger = logging.getLogger(__name__)
PASSWORD_RESET_MAIL_TASK = "core.send_password_reset_mail"  # core.accounts.tasks.send_password_reset_mail


def site_link(path: str, secret: str) -> str:
    return f"{current_app.config['PUBLIC_SITE_URL'].rstrip('/')}/{path}?token={secret}"


def send_verification_mail(member_id: int) -> bool:
    """Mail a verification link to the member's current address; False when there is nothing to verify."""
    member = db.session.get(Member, member_id)
    if member is None or member.erased_at is not None or member.email_verified:
        return False
    hours = current_app.config["EMAIL_VERIFICATION_HOURS"]
    secret = issue_mail_token(member, VERIFY_EMAIL, timedelta(hours=hours))
    body = (
        f"Hello {member.display_name},\n\nPlease confirm that {member.email} is your address:\n\n"
        f"{site_link('verify-email', secret)}\n\nThe link works once, for {hours} hours. "
        "If you did not sign up to Peerloop, ignore this mail.\n"
    )
    send_mail(member.email, "Confirm your email address", body)
    return True


def verify_email(secret: str) -> Member:
    member = use_mail_token(secret, VERIFY_EMAIL)
    mark_email_verified(member)
    db.session.flush()
    return member


def request_password_reset(email: str) -> None:
    """Mail a reset link if an account has this address; the caller answers the same either way."""
    member = find_member_by_email(email)
    if member is not None and member.password_hash is not None and member.can_sign_in:
        enqueue_after_commit(PASSWORD_RESET_MAIL_TASK, member.id)


def send_password_reset_mail(member_id: int) -> bool:
    member = db.session.get(Member, member_id)
    if member is None or member.password_hash is None or not member.can_sign_in:
        return False
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    secret = issue_mail_token(member, RESET_PASSWORD, timedelta(minutes=minutes))
    body = (
        f"Hello {member.display_name},\n\nSomeone asked to reset your Peerloop password. To choose a new one:\n\n"
        f"{site_link('reset-password', secret)}\n\nThe link works once, for {minutes} minutes. "
        "If it was not you, ignore this mail: your password stays as it is.\n"
    )
    send_mail(member.email, "Reset your password", body)
    return True


def reset_password(secret: str, password: str) -> Member:
    """Set the password and end every session; the link came to the address, so it is verified."""
    member = use_mail_token(secret, RESET_PASSWORD)
    set_password(member, password)
    mark_email_verified(member)
    db.session.flush()
    logger.info("member %s reset their password", member.id)
    return member
