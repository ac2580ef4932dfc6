"""/livez answers while the process runs; /readyz (and its old name /healthz) while the database
answers, reporting the broker without failing on it."""

import pytest
import sqlalchemy as sa

from config import TestConfig
from core.app import create_app
from core.extensions import db
from core.models import utcnow
from core.outbox.models import OutboxTask
from core.tasks import enqueue_after_commit


def test_livez_answers_without_asking_anything_else(client):
    response = client.get("/livez")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


@pytest.mark.parametrize("path", ["/readyz", "/healthz"])
def test_readyz_reports_database_broker_and_outbox(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "broker": "in-process", "outbox_pending": 0}


@pytest.mark.parametrize("path", ["/readyz", "/healthz"])
def test_an_unreachable_broker_is_reported_but_the_service_stays_ready(app, client, broker_outage, path):
    with app.app_context():
        enqueue_after_commit("core.erase_member_content", 1)
        db.session.commit()  # cannot reach the broker: the row waits
    response = client.get(path)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "broker": "unreachable", "outbox_pending": 1}


@pytest.mark.live
def test_readyz_fails_when_the_database_does_not_answer(app, database_uri):
    if not database_uri.startswith("postgresql"):
        pytest.skip("an embedded SQLite file is never unreachable")
    url = sa.engine.make_url(database_uri).set(port=1).render_as_string(hide_password=False)
    try:
        unreachable = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url).test_client()
    finally:  # making an app makes its Celery the current one: shared tasks go back to the suite's
        app.extensions["celery"].set_current()
        app.extensions["celery"].set_default()
    response = unreachable.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable" and response.get_json()["status"] == "failing"
    assert unreachable.get("/livez").status_code == 200


def test_pending_rows_count_until_sent(app, client):
    with app.app_context():
        db.session.add(OutboxTask(task_name="core.erase_member_content", args=[1], available_at=utcnow()))
        db.session.commit()  # written directly, never handed over: the sweep's business
    assert client.get("/readyz").get_json()["outbox_pending"] == 1
