"""Background work of accounts (Celery shared tasks): thin, ids not objects, safe to run twice."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from celery import shared_task

from core.accounts import services, sessions, verification
from core.extensions import db

logger = logging.getLogger(__name__)
RETRIED = {"autoretry_for": (sa.exc.OperationalError,), "retry_backoff": True, "max_retries": 5}
# Mail servers go away for a while; a mail is retried (each try mails a fresh link).
MAIL_RETRIED = {"autoretry_for": (OSError, sa.exc.OperationalError), "retry_backoff": True, "max_retries": 5}
PURGE_SESSIONS_TASK = "core.purge_expired_sessions"


@shared_task(name=services.ERASE_CONTENT_TASK, **RETRIED)
def erase_member_content(member_id: int, email: str | None = None) -> None:
    """Let every domain anonymise what it holds about an erased member (may be many rows)."""
    if services.erase_member_content(member_id, email):
        db.session.commit()
        logger.info("erased content of member %s", member_id)


@shared_task(name=services.VERIFICATION_MAIL_TASK, **MAIL_RETRIED)
def send_verification_mail(member_id: int) -> None:
    if verification.send_verification_mail(member_id):
        db.session.commit()  # after the mail left: a failed send leaves no token behind
        logger.info("verification mail sent to member %s", member_id)


@shared_task(name=verification.PASSWORD_RESET_MAIL_TASK, **MAIL_RETRIED)
def send_password_reset_mail(member_id: int) -> None:
    if verification.send_password_reset_mail(member_id):
        db.session.commit()
        logger.info("password reset mail sent to member %s", member_id)


@shared_task(name=PURGE_SESSIONS_TASK, **RETRIED)
def purge_expired_sessions() -> None:
    """Periodic: delete sessions past SESSION_LIFETIME_DAYS (already refused at sign-in)."""
    count = sessions.purge_expired_sessions()
    db.session.commit()
    logger.info("purged %s expired sessions", count)
