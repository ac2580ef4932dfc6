"""Leads against real processes: gunicorn (two workers), Segment's own client, a Celery worker on Redis."""

from __future__ import annotations

import csv
import io
import threading
from datetime import datetime, timedelta

import pytest
import requests
import sqlalchemy as sa
from segment.analytics import Client
from standardwebhooks import Webhook as Verifier

from core.accounts.models import Member
from core.extensions import db
from core.models import utcnow
from core.outbox.dispatch import sweep
from core.signals import activity_recorded
from leads.models import Activity, Lead, MemberScore, WebhookDelivery
from leads.services.common import days_since_unix
from leads.services.rules import current_rules, decay_factor
from leads.services.scoring import record_activity
from leads.services.webhooks import create_webhook
from tests.conftest import wait_until
from tests.factories import MemberFactory
from tests.leads.conftest import RULES, install_rules
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.live

SCENARIO_RULES = {
    "weights": {"thread_created": 5, "post_created": 3, "demo_requested": 30, "pricing_viewed": 8},
    "daily_caps": {},
    "half_life_days": 30,
    "thresholds": {"engaged": 5, "mql": 30},
    "fit_rules": [{"attribute": "email_domain", "operator": "eq", "value": "business", "points": 10}],
}


def iso(days_ago: float) -> str:
    return (utcnow() - timedelta(days=days_ago)).isoformat()


def put_rules(server: str, headers: dict, rules: dict) -> None:
    response = requests.put(f"{server}/api/v1/leads/scoring", json=rules, headers=headers)
    assert response.status_code == 200, response.text
    job = response.json()["rescore_job"]
    if job:
        status = lambda: requests.get(f"{server}/api/v1/leads/scoring/jobs/{job['id']}", headers=headers).json()  # noqa: E731
        assert wait_until(lambda: status()["status"] == "succeeded")


def community_activity(app, member_id: int, activity_type: str, occurred_at) -> None:
    """What a community action does: the signal inside the action's transaction, then commit."""
    with app.app_context():
        activity_recorded.send(
            "community", member_id=member_id, activity_type=activity_type, occurred_at=occurred_at,
            subject_type="thread", subject_id=1, properties={},
        )  # fmt: skip
        db.session.commit()


def make_webhook(app, url: str) -> str:
    """A subscription to the local receiver (callers use the private_webhooks fixture)."""
    with app.app_context():
        webhook = create_webhook(url, ["lead.qualified", "lead.status_changed"], actor_id=None)
        db.session.commit()
        return webhook.plaintext_secret


def test_leads_scenario_against_gunicorn(live_server, app, auth, receiver, private_webhooks):
    marketer = auth.token(auth.member("marketer"), "read write ingest")
    seller_member = auth.member("sales")
    seller = auth.token(seller_member)
    put_rules(live_server, marketer, SCENARIO_RULES)
    secret = make_webhook(app, receiver.url)

    ann = auth.member(email="ann@acme.io")  # engaged, not a lead: 5 + 3/4 + fit 10 = 15.75
    community_activity(app, ann.id, "thread_created", utcnow())
    community_activity(app, ann.id, "post_created", utcnow() - timedelta(days=60))
    eve = auth.member(email="eve@brand.example", member_type="employee")  # 60 + 10, never a lead
    dan = auth.member(email="dan@gmail.com")  # 30 + 5 = 35: a lead, no fit
    community_activity(app, dan.id, "thread_created", utcnow())

    batch = {
        "batch": [
            {"type": "identify", "userId": "u-bob", "messageId": "s-1", "traits": {"email": "bob@globex.com"}},
            {"type": "track", "event": "demo_requested", "userId": "u-bob", "messageId": "s-2", "timestamp": iso(0)},
            {"type": "track", "event": "pricing_viewed", "userId": "u-bob", "messageId": "s-3", "timestamp": iso(60)},
            {"type": "track", "event": "demo_requested", "userId": "u-eve", "messageId": "s-4",
             "context": {"traits": {"email": "eve@brand.example"}}},
            {"type": "track", "event": "demo_requested", "userId": "u-eve", "messageId": "s-5",
             "context": {"traits": {"email": "eve@brand.example"}}},
            {"type": "track", "event": "demo_requested", "userId": "u-dan", "messageId": "s-6",
             "context": {"traits": {"email": "dan@gmail.com"}}},
        ],
    }  # fmt: skip
    token = marketer["Authorization"].removeprefix("Bearer ")
    for expected in (6, 0):  # the same batch twice: the second changes nothing
        sent = requests.post(f"{live_server}/api/v1/segment/v1/batch", json=batch, auth=(token, ""))
        assert sent.status_code == 200 and sent.json()["stored"] == expected, sent.text

    listed = requests.get(f"{live_server}/api/v1/leads", headers=seller).json()["items"]
    assert [item["email"] for item in listed] == ["bob@globex.com", "dan@gmail.com"]
    assert listed[0]["score"] == pytest.approx(30 + 8 / 4 + 10, rel=1e-3)  # 60 days at H = 30: a quarter
    assert listed[1]["score"] == pytest.approx(35, rel=1e-3)
    with app.app_context():
        factor = decay_factor(current_rules())
        stages = dict(db.session.execute(sa.select(MemberScore.member_id, MemberScore.stage)).all())
        eve_score = (
            db.session.get(MemberScore, eve.id).engagement_sum * factor + db.session.get(MemberScore, eve.id).fit
        )
        ann_score = (
            db.session.get(MemberScore, ann.id).engagement_sum * factor + db.session.get(MemberScore, ann.id).fit
        )
    assert (stages[ann.id], ann_score) == ("engaged", pytest.approx(15.75, rel=1e-3))
    assert eve_score == pytest.approx(70, rel=1e-3) and stages[eve.id] != "lead"

    bob = requests.get(f"{live_server}/api/v1/leads/{listed[0]['id']}", headers=seller).json()
    assert sum(row["points"] for row in bob["contributions"]) == pytest.approx(listed[0]["score"], rel=1e-6)
    assert bob["score"] == pytest.approx(listed[0]["score"], rel=1e-6)
    assert {row["activity_type"]: row["points"] for row in bob["contributions"]}["fit"] == 10

    exported = requests.get(f"{live_server}/api/v1/leads/export.csv", headers=seller)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["email"], float(r["lead_score"])) for r in rows] == [
        (item["email"], pytest.approx(item["score"], abs=0.01)) for item in listed
    ]

    claimed = requests.post(f"{live_server}/api/v1/leads/{listed[0]['id']}/claim", headers=seller).json()
    assert (claimed["stage"], claimed["owner_id"]) == ("sal", seller_member.id)

    verified = [
        Verifier(secret).verify(r["body"], {k.lower(): v for k, v in r["headers"].items()}) for r in receiver.requests
    ]
    assert sorted((p["type"], p["data"]["email"]) for p in verified) == [
        ("lead.qualified", "bob@globex.com"), ("lead.qualified", "dan@gmail.com"),
        ("lead.status_changed", "bob@globex.com"),
    ]  # fmt: skip


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_segments_own_python_client_delivers(live_server, app, auth, compress):
    token = auth.token(auth.member("marketer"), "ingest")["Authorization"].removeprefix("Bearer ")
    errors = []
    client = Client(
        write_key=token, host=f"{live_server}/api/v1/segment", sync_mode=True, gzip=compress, max_retries=0,
        on_error=lambda error, batch: errors.append(error),
    )  # fmt: skip
    client.identify("crm-7", {"email": "zoe@initech.com", "name": "Zoe Z", "title": "Head of Ops"})
    client.track("crm-7", "pricing_viewed", {"plan": "team"})
    client.track("crm-7", "pricing_viewed", {"plan": "team"}, message_id="fixed-id")
    client.track("crm-7", "pricing_viewed", {"plan": "team"}, message_id="fixed-id")  # a resend: stored once
    client.flush()
    assert errors == []
    with app.app_context():
        member = db.session.scalar(sa.select(Member).where(Member.email_normalized == "zoe@initech.com"))
        assert (member.member_type, member.job_title) == ("prospect", "Head of Ops")
        rows = db.session.execute(sa.select(Activity.activity_type, Activity.message_id, Activity.member_id)).all()
    assert sorted(kind for kind, *_ in rows) == ["identify", "pricing_viewed", "pricing_viewed"]
    assert len({message_id for _, message_id, _ in rows}) == 3
    assert {member_id for *_, member_id in rows} == {member.id}


def test_rescore_of_a_population_on_a_real_worker(broker, app, auth):
    with app.app_context():
        rules = current_rules()
        rules.config = rules.active_config = {**SCENARIO_RULES, "fit_rules": []}
        members = [MemberFactory() for _ in range(120)]
        for n, member in enumerate(members):
            for days in (n % 7, 30 + n % 5):
                record_activity(member.id, "post_created", utcnow() - timedelta(days=days), source="community")
        db.session.commit()
        ids = [m.id for m in members]
    client = auth.client("marketer")
    changed = {**SCENARIO_RULES, "weights": {"post_created": 4}, "half_life_days": 10, "fit_rules": []}
    job = client.put("/api/v1/leads/scoring", json=changed).get_json()["rescore_job"]
    assert wait_until(lambda: client.get(f"/api/v1/leads/scoring/jobs/{job['id']}").get_json()["status"] == "succeeded")
    with app.app_context():
        factor = decay_factor(current_rules())
        sums = dict(db.session.execute(sa.select(MemberScore.member_id, MemberScore.engagement_sum)).all())
    for n, member_id in enumerate(ids):
        expected = 4 * 2 ** (-(n % 7) / 10) + 4 * 2 ** (-(30 + n % 5) / 10)
        assert sums[member_id] * factor == pytest.approx(expected, rel=1e-3)


def test_failed_webhook_delivery_is_retried_by_the_worker(broker, app, receiver, private_webhooks):
    secret = make_webhook(app, receiver.url)
    receiver.statuses = [500]
    with app.app_context():
        rules = current_rules()
        rules.config = rules.active_config = SCENARIO_RULES
        member = MemberFactory(email="ret@acme.io")
        record_activity(member.id, "demo_requested", utcnow(), source="events")
        db.session.commit()  # the delivery goes to the worker now
        member_id = member.id

    def delivered():
        sweep(app)  # what the beat job does in production: the retry is an outbox row, due after 2 s
        with app.app_context():
            delivery = db.session.scalar(sa.select(WebhookDelivery))
            return delivery if delivery is not None and delivery.status == "succeeded" else None

    delivery = wait_until(delivered, timeout=30, interval=0.5)
    assert [a.status_code for a in delivery.attempts] == [500, 200]
    assert len(receiver.requests) == 2
    last = receiver.requests[-1]
    assert Verifier(secret).verify(last["body"], {k.lower(): v for k, v in last["headers"].items()})["type"] == (
        "lead.qualified"
    )
    with app.app_context():
        assert db.session.scalar(sa.select(Lead.stage).where(Lead.member_id == member_id)) == "mql"


def test_concurrent_batches_over_the_same_members_all_succeed(live_server, app, auth):
    """Overlapping batches in different orders from several clients: no deadlock, no 5xx, every event once."""
    import random
    from concurrent.futures import ThreadPoolExecutor

    token = auth.token(auth.member("marketer"), "ingest")["Authorization"].removeprefix("Bearer ")
    with app.app_context():
        rules = current_rules()
        rules.config = rules.active_config = {**SCENARIO_RULES, "daily_caps": {"pricing_viewed": 3}}
        emails = [MemberFactory(email=f"c{n}@acme.io").email for n in range(12)]
        db.session.commit()
    rng = random.Random(5)
    noon = (utcnow() - timedelta(days=2)).replace(hour=12, minute=0).isoformat()  # one day for the cap

    def batch(n: int) -> dict:
        people = rng.sample(emails, len(emails))
        return {"batch": [
            {"type": "track", "event": "pricing_viewed", "userId": f"u-{email}", "messageId": f"b{n}-{k}",
             "timestamp": noon, "context": {"traits": {"email": email}}}
            for k, email in enumerate(people)
        ]}  # fmt: skip

    batches = [batch(n) for n in range(24)]
    with ThreadPoolExecutor(4) as pool:
        statuses = list(
            pool.map(
                lambda b: requests.post(f"{live_server}/api/v1/segment/v1/batch", json=b, auth=(token, "")), batches
            )
        )
    assert [r.status_code for r in statuses] == [200] * len(batches)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Activity.id))) == 24 * 12
        rules = current_rules()
        one = 8 * 2 ** ((days_since_unix(datetime.fromisoformat(noon)) - rules.epoch_days) / 30)
        sums = db.session.scalars(
            sa.select(MemberScore.engagement_sum).join(Member, Member.id == MemberScore.member_id)
            .where(Member.email.in_(emails))
        ).all()  # fmt: skip
    assert sums == pytest.approx([3 * one] * 12, rel=1e-9)  # the daily cap held under concurrency


def test_two_sellers_claiming_one_lead_at_once_exactly_one_wins(live_server, app, auth):
    if app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0].split("+")[0] != "postgresql":
        pytest.skip("row-level concurrency is PostgreSQL's")
    with app.app_context():
        install_rules(RULES)
        lead_ids = [LeadFactory(points=50).id for _ in range(5)]
        db.session.commit()
    sellers = [auth.token(auth.member("sales")) for _ in range(2)]
    for lead_id in lead_ids:
        barrier, answers = threading.Barrier(2), []

        def claim(headers, barrier=barrier, answers=answers, lead_id=lead_id):
            barrier.wait()
            answers.append(requests.post(f"{live_server}/api/v1/leads/{lead_id}/claim", headers=headers).status_code)

        threads = [threading.Thread(target=claim, args=(headers,)) for headers in sellers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(answers) == [200, 409]
