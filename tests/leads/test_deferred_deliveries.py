"""Webhook deliveries are deferred work: saved with the batch that qualified the lead, sent after
the commit, swept up when the broker was down, and never on the request's time."""

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.outbox import dispatch
from core.outbox.models import OutboxTask
from leads.models import WebhookDelivery
from leads.services.webhooks import create_webhook
from tests.leads.conftest import RULES, install_rules

QUALIFYING = {
    "batch": [
        {"type": "identify", "userId": "u-q", "messageId": "q-1", "traits": {"email": "quinn@acme.io"}},
        {"type": "track", "event": "demo_requested", "userId": "u-q", "messageId": "q-2"},
        {"type": "track", "event": "demo_requested", "userId": "u-q", "messageId": "q-3"},
    ]
}  # fmt: skip
BROWSING = {"batch": [{"type": "track", "event": "page_viewed", "userId": "u-b", "messageId": "b-1"}]}


@pytest.fixture
def ingest(app, auth, receiver, private_webhooks):
    """A webhook on the local receiver, rules under which one demo request qualifies, and a sender."""
    with app.app_context():
        install_rules(RULES)
        create_webhook(receiver.url, ["lead.qualified"], actor_id=None)
        db.session.commit()
    token = auth.token(auth.member("marketer"), "ingest")["Authorization"].removeprefix("Bearer ")
    client = app.test_client()
    return lambda body: client.post("/api/v1/segment/v1/batch", json=body, auth=(token, ""))


def delivery_states(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(WebhookDelivery.status)))


def test_with_the_broker_down_a_qualifying_batch_is_accepted_and_delivered_once_it_is_back(
    app, ingest, receiver, broker_outage
):
    response = ingest(QUALIFYING)
    assert response.status_code == 200 and response.get_json()["stored"] == 3
    assert delivery_states(app) == ["pending"] and receiver.requests == []
    broker_outage.up()
    assert dispatch.sweep(app) == 1
    assert dispatch.sweep(app) == 0
    assert delivery_states(app) == ["succeeded"]
    assert [r["body"].count(b"lead.qualified") for r in receiver.requests] == [1]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(OutboxTask.sent_at.is_(None))) == 0


@pytest.mark.live
def test_a_slow_receiver_never_holds_up_the_api(app, ingest, receiver, background_outbox):
    receiver.gate.clear()  # the receiver takes the request and does not answer yet
    assert ingest(QUALIFYING).status_code == 200
    assert ingest(BROWSING).status_code == 200  # a write while the delivery waits: no lock is held
    assert delivery_states(app) == ["pending"]
    receiver.gate.set()
    dispatch.background_runner(app).wait_idle()
    assert delivery_states(app) == ["succeeded"] and len(receiver.requests) == 1
