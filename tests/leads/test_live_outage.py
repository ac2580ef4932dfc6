"""A Redis outage in a production deployment: gunicorn (two workers) and a Celery worker with
--beat on a Redis of the test's own, which the test stops and starts again on the same port."""

import time

import pytest
import requests
import sqlalchemy as sa

from core.accounts.models import Member
from core.extensions import db
from core.outbox.models import OutboxTask
from journey.services.stages import REFRESH_MEMBER_TASK
from leads.models import WebhookDelivery
from leads.services.webhooks import create_webhook
from tests.community.factories import CategoryFactory
from tests.conftest import gunicorn, production_env, wait_until, worker
from tests.leads.conftest import RULES, install_rules
from tests.leads.test_deferred_deliveries import QUALIFYING

pytestmark = pytest.mark.live
SWEEP_SECONDS = 1


def sign_up(server: str, email: str) -> requests.Session:
    browser = requests.Session()
    account = {"email": email, "password": "a long password", "display_name": email.split("@")[0]}
    response = browser.post(f"{server}/api/v1/auth/signup", json=account, timeout=30)
    assert response.status_code == 201, response.text
    browser.member_id = response.json()["id"]
    return browser


def pending_tasks() -> list[str]:
    stmt = sa.select(OutboxTask.task_name).where(OutboxTask.sent_at.is_(None)).order_by(OutboxTask.id)
    return list(db.session.scalars(stmt))


def committed(app, query):
    with app.app_context():
        try:
            return query()
        finally:
            db.session.remove()


def deployment(app, database_uri: str, own_redis, receiver) -> dict:
    """The served processes' settings on the test's own Redis, rules under which QUALIFYING makes a
    lead, and a webhook for lead.qualified on the local receiver."""
    with app.app_context():
        install_rules(RULES)
        create_webhook(receiver.url, ["lead.qualified"], actor_id=None)
        db.session.commit()
    return production_env(
        database_uri, CELERY_BROKER_URL=f"{own_redis.url}/0", RATELIMIT_STORAGE_URI=f"{own_redis.url}/1",
        WEBHOOK_ALLOW_PRIVATE_URLS="true", OUTBOX_SWEEP_SECONDS=str(SWEEP_SECONDS),
    )  # fmt: skip


def delivered() -> bool:
    return db.session.scalar(sa.select(WebhookDelivery.status)) == "succeeded"


def test_work_deferred_while_redis_is_down_is_done_once_it_is_back(
    app, auth, database_uri, own_redis, receiver, private_webhooks, tmp_path
):
    env = deployment(app, database_uri, own_redis, receiver)
    with app.app_context():
        category_id = CategoryFactory().id
        db.session.commit()
    ingest_token = auth.token(auth.member("marketer"), "ingest")["Authorization"].removeprefix("Bearer ")

    with gunicorn(env) as server:
        leaving = sign_up(server, "leaving@example.com")
        own_redis.stop()

        # Redis is down: accounts, posting and ingestion answer as usual.
        poster = sign_up(server, "poster@example.com")
        login = {"email": "poster@example.com", "password": "a long password"}
        assert poster.post(f"{server}/api/v1/auth/login", json=login, timeout=30).status_code == 200
        thread = {"category_id": category_id, "title": "Redis is down", "body": "and we are fine", "tags": []}
        assert poster.post(f"{server}/api/v1/threads", json=thread, timeout=30).status_code == 201
        assert leaving.delete(f"{server}/api/v1/me", timeout=30).status_code == 204
        batch = requests.post(f"{server}/api/v1/segment/v1/batch", json=QUALIFYING, auth=(ingest_token, ""), timeout=30)
        assert batch.status_code == 200 and batch.json()["stored"] == 3
        ready = requests.get(f"{server}/readyz", timeout=30)
        assert ready.status_code == 200 and ready.json()["broker"] == "unreachable"
        assert ready.json()["outbox_pending"] == len(committed(app, pending_tasks))
        assert [name for name in committed(app, pending_tasks) if name != REFRESH_MEMBER_TASK] == [
            "core.send_verification_mail",  # the poster's
            "core.erase_member_content",
            "leads.deliver_webhook",
        ]
        assert requests.get(f"{server}/livez", timeout=30).status_code == 200

    def content_erased():
        return db.session.get(Member, leaving.member_id).content_erased_at

    def pending():
        return db.session.scalar(sa.select(sa.func.count()).where(OutboxTask.sent_at.is_(None)))

    assert committed(app, content_erased) is None and receiver.requests == []

    own_redis.start()  # the same port, empty: what was never published is not in it
    schedule = str(tmp_path / "beat-schedule")
    with worker(env, "--beat", "--schedule", schedule, "--concurrency=1", "--loglevel=WARNING"):
        assert wait_until(lambda: committed(app, content_erased), timeout=60) is not None
        assert wait_until(lambda: committed(app, delivered), timeout=60)
        time.sleep(3 * SWEEP_SECONDS)  # a few more sweeps: nothing is sent twice
        assert committed(app, pending) == 0
    assert [r["body"].count(b'"lead.qualified"') for r in receiver.requests] == [1]


def test_a_webhook_retry_outlives_a_redis_restart_before_it_is_due(
    app, auth, database_uri, own_redis, receiver, private_webhooks, tmp_path
):
    """The receiver fails the first try; Redis restarts empty (it keeps nothing on disk) before the
    retry is due. The retry waits in the database, not in the broker, so it is still made."""
    env = deployment(app, database_uri, own_redis, receiver)
    ingest_token = auth.token(auth.member("marketer"), "ingest")["Authorization"].removeprefix("Bearer ")
    receiver.statuses = [503]

    def attempts():
        return db.session.scalar(sa.select(WebhookDelivery.attempt_count))

    beat = ("--beat", "--schedule", str(tmp_path / "beat-schedule"), "--concurrency=1", "--loglevel=WARNING")
    with gunicorn(env) as server, worker(env, *beat):
        batch = requests.post(f"{server}/api/v1/segment/v1/batch", json=QUALIFYING, auth=(ingest_token, ""), timeout=30)
        assert batch.status_code == 200
        assert wait_until(lambda: committed(app, attempts) == 1, timeout=60, interval=0.02)
        own_redis.stop()  # within the retry's 2 s backoff
        own_redis.start()
        assert wait_until(lambda: committed(app, delivered), timeout=60)
    assert [r["body"].count(b'"lead.qualified"') for r in receiver.requests] == [1, 1]
