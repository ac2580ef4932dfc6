"""The sales workflow against real processes: gunicorn (two workers, production settings), a Celery
worker started with --beat on the Redis broker, and a webhook receiver on 127.0.0.1.

A round-robin assignment notifies the owner; a lead nobody claims within the SLA fires
lead.sla_breached once, from the periodic check beat schedules."""

import json
import os
import threading
import time
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from core.extensions import db
from core.models import utcnow
from leads.models import Lead
from leads.services.webhooks import create_webhook
from tests.conftest import gunicorn, production_env, require_service, wait_until, worker
from tests.leads.conftest import RULES, install_rules
from tests.leads.factories import LeadFactory
from tests.leads.test_deferred_deliveries import QUALIFYING
from tests.leads.test_live_outage import committed

pytestmark = pytest.mark.live
CHECK_SECONDS = 1


def events_of(receiver, event_type: str) -> list[dict]:
    bodies = [json.loads(r["body"]) for r in receiver.requests]
    return [b["data"] for b in bodies if b["type"] == event_type]


def test_round_robin_notifies_the_owner_and_an_unclaimed_lead_breaches_its_sla_once(
    app, auth, database_uri, receiver, private_webhooks, tmp_path
):
    broker = os.environ.get("CELERY_BROKER_URL")
    if not broker:
        require_service("CELERY_BROKER_URL (a Redis broker)")
    env = production_env(
        database_uri, CELERY_BROKER_URL=broker, WEBHOOK_ALLOW_PRIVATE_URLS="true", OUTBOX_SWEEP_SECONDS="1",
        LEAD_SLA_CHECK_SECONDS=str(CHECK_SECONDS),
    )  # fmt: skip
    first, second = auth.member("sales"), auth.member("sales")
    admin = auth.token(auth.member("admin"))
    ingest = auth.token(auth.member("marketer"), "ingest")["Authorization"].removeprefix("Bearer ")
    with app.app_context():
        install_rules(RULES)
        create_webhook(receiver.url, ["lead.assigned", "lead.sla_breached"], actor_id=None)
        db.session.commit()

    schedule = str(tmp_path / "beat-schedule")
    with (
        gunicorn(env) as server,
        worker(env, "--beat", "--schedule", schedule, "--concurrency=1", "--loglevel=WARNING"),
    ):
        rules = {"mode": "round_robin", "seller_ids": [first.id, second.id], "claim_within_hours": 1}
        saved = requests.put(f"{server}/api/v1/leads/assignment", json=rules, headers=admin, timeout=30)
        assert saved.status_code == 200, saved.text
        batch = requests.post(f"{server}/api/v1/segment/v1/batch", json=QUALIFYING, auth=(ingest, ""), timeout=30)
        assert batch.status_code == 200 and batch.json()["stored"] == 3

        lead = committed(app, lambda: db.session.scalar(sa.select(Lead)))
        assert (lead.stage, lead.owner_id, lead.claimed_at) == ("mql", first.id, None)
        owner = auth.token(first)
        seen = requests.get(f"{server}/api/v1/me/notifications", headers=owner, timeout=30).json()["items"]
        assert [(n["kind"], n["subject_id"]) for n in seen] == [("lead_assigned", lead.id)]
        assert wait_until(lambda: events_of(receiver, "lead.assigned"), timeout=30)[0]["owner_id"] == first.id
        assert events_of(receiver, "lead.sla_breached") == []  # within its SLA: nothing yet

        def backdate():  # two hours pass without anyone claiming it
            qualified = utcnow() - timedelta(hours=2)
            db.session.execute(sa.update(Lead).where(Lead.id == lead.id).values(qualified_at=qualified))
            db.session.commit()

        committed(app, backdate)
        listed = requests.get(f"{server}/api/v1/leads?overdue=true", headers=owner, timeout=30).json()["items"]
        assert [item["id"] for item in listed] == [lead.id]
        [breach] = wait_until(lambda: events_of(receiver, "lead.sla_breached"), timeout=60)
        assert (breach["lead_id"], breach["owner_id"]) == (lead.id, first.id)
        time.sleep(5 * CHECK_SECONDS)  # more checks run: the breach is not announced again
        assert len(events_of(receiver, "lead.sla_breached")) == 1
        kinds = [
            n["kind"]
            for n in requests.get(f"{server}/api/v1/me/notifications", headers=owner, timeout=30).json()["items"]
        ]
        assert kinds == ["lead_sla_breached", "lead_assigned"]


def test_two_first_deals_in_different_currencies_at_once_exactly_one_is_won(live_server, app, auth):
    sellers = [auth.token(auth.member("admin")) for _ in range(2)]
    for _ in range(5):
        with app.app_context():
            install_rules(RULES)
            db.session.execute(sa.update(Lead).values(currency=None))  # no deal recorded yet, each round
            lead_ids = [LeadFactory(points=50, stage="sql").id for _ in range(2)]
            db.session.commit()
        barrier, answers = threading.Barrier(2), []

        def win(headers, lead_id, currency, barrier=barrier, answers=answers):
            deal = {"status": "won", "amount": "100", "currency": currency}
            barrier.wait()
            answers.append(
                requests.patch(
                    f"{live_server}/api/v1/leads/{lead_id}", json=deal, headers=headers, timeout=30
                ).status_code
            )

        threads = [
            threading.Thread(target=win, args=(headers, lead_id, currency))
            for headers, lead_id, currency in zip(sellers, lead_ids, ("EUR", "USD"), strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(answers) == [200, 409]
