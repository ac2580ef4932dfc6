"""Customer health against real processes: gunicorn (two workers) takes the rating, a real Celery worker
runs the nightly recompute as the beat schedule names it, a receiver on 127.0.0.1 hears customer.at_risk."""

from __future__ import annotations

import pytest
import requests
import sqlalchemy as sa
from standardwebhooks import Webhook as Verifier

from config import beat_schedule
from core.extensions import db
from journey.models import CustomerHealth
from leads.models import WebhookDelivery
from leads.services.webhooks import create_webhook
from tests.conftest import wait_until
from tests.journey.conftest import act, ago

pytestmark = pytest.mark.live
NIGHTLY = beat_schedule(sweep_seconds=60)["journey-recompute-health"]["task"]


class Api:
    def __init__(self, base: str, headers: dict):
        self.base, self.headers = f"{base}/api/v1", headers

    def __call__(self, method: str, path: str, expected: int, **kwargs):
        response = requests.request(method, self.base + path, headers=self.headers, timeout=15, **kwargs)
        assert response.status_code == expected, (method, path, response.text)
        return response.json() if response.content else None


def subscribe(app, monkeypatch, url: str) -> str:
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE_URLS", True)  # the receiver is on 127.0.0.1
    with app.app_context():
        webhook = create_webhook(url, ["customer.at_risk"], actor_id=None)
        db.session.commit()
        return webhook.plaintext_secret


def computed_at(app, member_id: int):
    with app.app_context():
        row = db.session.get(CustomerHealth, member_id)
        return row.computed_at if row else None


def run_nightly(broker, app, member_id: int) -> None:
    """Send the recompute to the real worker by the name the beat schedule uses, and wait until it ran."""
    before = computed_at(app, member_id)
    broker.signature(NIGHTLY).apply_async()
    wait_until(lambda: computed_at(app, member_id) not in (None, before), timeout=30)


def test_an_active_customer_who_rated_ces_2_and_went_silent_is_at_risk_once(
    live_server, broker, app, auth, receiver, monkeypatch
):
    secret = subscribe(app, monkeypatch, receiver.url)
    kim, helper = auth.member(display_name="Kim", email="kim@acme.io"), auth.member()
    moderator = Api(live_server, auth.token(auth.member("moderator")))
    as_kim, as_helper = Api(live_server, auth.token(kim)), Api(live_server, auth.token(helper))
    with app.app_context():  # months of activity before: she was active
        for days_ago in (45, 60, 75, 90, 100, 110):
            act(kim, ago(days_ago))
        db.session.execute(
            sa.text("UPDATE members SET created_at = :at WHERE id = :id"), {"at": ago(200), "id": kim.id}
        )
        db.session.commit()

    category = moderator("POST", "/categories", 201, json={"slug": "help", "name": "Help"})
    thread = as_kim(
        "POST", "/threads", 201, json={"category_id": category["id"], "title": "Dock stuck", "body": "Help"}
    )
    as_helper("POST", f"/threads/{thread['id']}/posts", 201, json={"body": "Hold the button for ten seconds."})
    as_kim("PUT", f"/threads/{thread['id']}/feedback", 200, json={"csat": 4, "ces": 2, "comment": "Hard work"})
    marketer = Api(live_server, auth.token(auth.member("marketer")))
    now = {i["member"]["id"]: i for i in marketer("GET", "/customers/health", 200)["items"]}
    assert (now[kim.id]["health"], now[kim.id]["status"]) == (85, "healthy")  # active today: only the CES

    with app.app_context():  # then she went silent: what she did that day was forty days ago
        for statement in (
            "UPDATE lead_activities SET occurred_at = :at WHERE member_id = :id AND occurred_at > :recent",
            "UPDATE thread_feedback SET created_at = :at, updated_at = :at WHERE member_id = :id",
            "UPDATE threads SET created_at = :at, last_activity_at = :at WHERE author_id = :id",
        ):
            db.session.execute(sa.text(statement), {"at": ago(40), "id": kim.id, "recent": ago(1)})
        db.session.commit()

    run_nightly(broker, app, kim.id)
    wait_until(lambda: len(receiver.requests) >= 1, timeout=30)
    at_risk = marketer("GET", "/customers/health", 200, params={"status": "at_risk"})["items"]
    assert [(i["member"]["id"], i["health"], i["status"]) for i in at_risk] == [(kim.id, 45, "at_risk")]
    reasons = at_risk[0]["reasons"]
    assert [(r["signal"], r["points"]) for r in reasons] == [
        ("baseline", 100),
        ("engagement_falling", -20),
        ("low_ces", -15),
        ("silence", -20),
    ]
    assert "CES 2/7" in reasons[2]["detail"] and reasons[3]["detail"] == "No activity for 40 days"

    run_nightly(broker, app, kim.id)  # the next night: still at risk, nothing new to say
    [request] = receiver.requests
    payload = Verifier(secret).verify(request["body"], {k.lower(): v for k, v in request["headers"].items()})
    assert payload["type"] == "customer.at_risk"
    assert (payload["data"]["member_id"], payload["data"]["email"], payload["data"]["health"]) == (
        kim.id,
        "kim@acme.io",
        45,
    )
    assert payload["data"]["reasons"] == reasons
    with app.app_context():
        sent = db.session.scalars(
            sa.select(WebhookDelivery.status).where(WebhookDelivery.event_type == "customer.at_risk")
        )
        assert list(sent) == ["succeeded"]
