"""Health for load balancers and operators: /livez (the process answers) and /readyz (it can
serve: the database answers; the broker's state is reported but never fails it, since deferred
work waits in the outbox while the broker is away). /healthz is /readyz under its old name."""

import logging

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from core.extensions import db
from core.outbox import services as outbox

logger = logging.getLogger(__name__)
health_bp = Blueprint("health", __name__)


def database_ok() -> bool:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        logger.exception("health check: database unreachable")
        return False
    finally:
        db.session.rollback()


def outbox_pending() -> int | None:
    try:
        return outbox.pending_count()
    except sa.exc.SQLAlchemyError:
        logger.exception("health check: outbox unreadable")
        return None
    finally:
        db.session.rollback()


def broker_status() -> str:
    celery_app = current_app.extensions["celery"]
    if celery_app.conf.task_always_eager:
        return "in-process"
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=2)
        return "ok"
    except Exception:  # kombu raises many transport-specific errors
        logger.warning("health check: broker unreachable", exc_info=True)
        return "unreachable"


@health_bp.get("/livez")
def livez():
    """The process is up and answering; nothing else is checked."""
    return jsonify(status="ok")


@health_bp.get("/readyz")
@health_bp.get("/healthz")
def readyz():
    """Ready to serve when the database answers; the broker and the outbox backlog are reported."""
    ready = database_ok()
    checks = {
        "database": "ok" if ready else "unreachable",
        "broker": broker_status(),
        "outbox_pending": outbox_pending() if ready else None,
    }
    return jsonify(status="ok" if ready else "failing", **checks), 200 if ready else 503
