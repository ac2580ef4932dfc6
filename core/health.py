"""Liveness for load balancers and operators: the database, and the broker if any."""

import logging

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from core.extensions import db

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


def broker_status() -> str:
    celery_app = current_app.extensions["celery"]
    if celery_app.conf.task_always_eager:
        return "in-process"
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=2)
        return "ok"
    except Exception:  # kombu raises many transport-specific errors
        logger.exception("health check: broker unreachable")
        return "unreachable"


@health_bp.get("/healthz")
def healthz():
    checks = {"database": "ok" if database_ok() else "unreachable", "broker": broker_status()}
    healthy = all(value in ("ok", "in-process") for value in checks.values())
    return jsonify(status="ok" if healthy else "failing", **checks), 200 if healthy else 503
