"""Webhooks: subscriptions, SSRF refusal, signed deliveries to a real local receiver, retries, replay."""

import socket
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
import urllib3.util.connection
from celery.exceptions import SoftTimeLimitExceeded
from standardwebhooks import Webhook as Verifier

from core.extensions import db
from core.models import utcnow
from core.outbox import services as outbox
from core.outbox.models import OutboxTask
from core.tasks import pending_rows
from leads.models import WebhookDelivery
from leads.services import webhooks
from leads.services.scoring import record_activity
from leads.services.webhook_transport import DeliveryAdapter
from leads.services.webhooks import publish
from leads.tasks import MAX_DELIVERY_RETRIES, backoff, deliver_webhook
from tests.factories import MemberFactory
from tests.leads.conftest import RULES, RawReceiver, install_rules
from tests.leads.factories import WebhookFactory


def attempt_delivery(delivery_id: int, *, final: bool) -> bool:
    """What the delivery task does: read, send (no transaction held), record."""
    outgoing = webhooks.prepare_delivery(delivery_id)
    if outgoing is None:
        return True
    return webhooks.record_attempt(delivery_id, webhooks.send_delivery(outgoing), final=final)


def subscribe(client, url, events=("lead.qualified", "lead.status_changed")):
    return client.post("/api/v1/webhooks", json={"url": url, "events": list(events)})


def qualify_someone(app) -> int:
    with app.app_context():
        install_rules(RULES)
        member = MemberFactory(email="hot@acme.io")
        record_activity(member.id, "demo_requested", utcnow(), source="events")
        record_activity(member.id, "demo_requested", utcnow(), source="events")
        db.session.commit()  # deliveries are enqueued after this commit
        return member.id


def test_signed_lead_qualified_reaches_a_local_receiver(app, auth, private_webhooks, receiver):
    admin = auth.client("admin")
    created = subscribe(admin, receiver.url)
    assert created.status_code == 201
    secret = created.get_json()["secret"]
    assert secret.startswith("whsec_")
    member_id = qualify_someone(app)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    payload = Verifier(secret).verify(request["body"], headers)
    assert payload["type"] == "lead.qualified"
    assert payload["data"]["member_id"] == member_id and payload["data"]["stage"] == "mql"
    with pytest.raises(Exception):  # noqa: B017  (any verification failure)
        Verifier(secret).verify(request["body"] + b" ", headers)
    deliveries = admin.get(f"/api/v1/webhooks/{created.get_json()['id']}/deliveries").get_json()["items"]
    assert [(d["status"], d["attempt_count"], d["attempts"][0]["status_code"]) for d in deliveries] == [
        ("succeeded", 1, 200)
    ]


def test_secret_is_shown_only_at_creation(auth, private_webhooks):
    admin = auth.client("admin")
    subscribe(admin, "http://127.0.0.1:9/hook")
    listed = admin.get("/api/v1/webhooks").get_json()["items"]
    assert listed and all("secret" not in item for item in listed)


def test_failed_delivery_is_logged_and_replayable(app, auth, private_webhooks, receiver):
    admin = auth.client("admin")
    webhook_id = subscribe(admin, receiver.url).get_json()["id"]
    receiver.statuses = [500]
    qualify_someone(app)
    delivery = admin.get(f"/api/v1/webhooks/{webhook_id}/deliveries").get_json()["items"][0]
    assert (delivery["status"], delivery["last_status_code"]) == ("failed", 500)  # in-process: once, then replay
    replayed = admin.post(f"/api/v1/webhooks/{webhook_id}/deliveries/{delivery['id']}/replay")
    assert replayed.status_code == 202
    delivery = admin.get(f"/api/v1/webhooks/{webhook_id}/deliveries").get_json()["items"][0]
    assert delivery["status"] == "succeeded"
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 200]
    assert len(receiver.requests) == 2


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/hook", "http://localhost:8080/x", "http://10.1.2.3/x", "http://169.254.169.254/latest"]
)
def test_private_and_loopback_urls_are_refused(auth, url):
    response = subscribe(auth.client("admin"), url)
    assert response.status_code == 422
    assert "url" in response.get_json()["errors"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "ftp://93.184.216.34/x", "events": ["lead.qualified"]}, "url"),
        ({"url": "not a url", "events": ["lead.qualified"]}, "url"),
        ({"url": "https://93.184.216.34/x", "events": []}, "events"),
        ({"url": "https://93.184.216.34/x", "events": ["lead.exploded"]}, "events"),
        ({"url": "https://93.184.216.34/x"}, "events"),
        ({"url": "https://93.184.216.34/x", "events": ["lead.qualified"], "secret": "mine"}, "secret"),
    ],
)
def test_create_rejects_bad_input(auth, payload, field):
    response = auth.client("admin").post("/api/v1/webhooks", json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_public_ip_urls_are_accepted_and_deleted_webhooks_disappear(auth):
    admin = auth.client("admin")
    created = subscribe(admin, "https://93.184.216.34/hook")
    assert created.status_code == 201
    webhook_id = created.get_json()["id"]
    assert admin.delete(f"/api/v1/webhooks/{webhook_id}").status_code == 204
    assert admin.get(f"/api/v1/webhooks/{webhook_id}/deliveries").status_code == 404
    assert admin.delete(f"/api/v1/webhooks/{webhook_id}").status_code == 404


def test_replay_of_unknown_delivery_is_404(app, auth):
    with app.app_context():
        webhook = WebhookFactory()
        db.session.commit()
        webhook_id = webhook.id
    assert auth.client("admin").post(f"/api/v1/webhooks/{webhook_id}/deliveries/999999/replay").status_code == 404


def test_attempt_before_the_last_leaves_the_delivery_retrying(app_ctx, private_webhooks, receiver):
    webhook = WebhookFactory(url=receiver.url, event_list="lead.qualified", allow_private=True)
    receiver.statuses = [503]
    [delivery] = publish("lead.qualified", {"lead_id": 1})
    assert attempt_delivery(delivery.id, final=False) is False
    assert (delivery.status, delivery.attempt_count) == ("retrying", 1)
    assert attempt_delivery(delivery.id, final=False) is True
    assert (delivery.status, delivery.attempt_count) == ("succeeded", 2)
    assert webhook.id == delivery.webhook_id


def test_unreachable_receiver_is_logged_as_an_error(app_ctx, private_webhooks):
    WebhookFactory(url="http://127.0.0.1:9/closed", event_list="lead.status_changed", allow_private=True)
    [delivery] = publish("lead.status_changed", {"lead_id": 1})
    assert attempt_delivery(delivery.id, final=True) is True
    delivery = db.session.scalar(sa.select(WebhookDelivery))
    assert delivery.status == "failed" and delivery.attempts[0].error.startswith("ConnectionError")


def test_backoff_is_exponential_and_capped():
    assert [backoff(n) for n in range(4)] == [2, 4, 8, 16]
    assert backoff(30) == 3600


def test_a_webhook_created_without_the_allowance_is_rechecked_at_send_time(app_ctx):
    WebhookFactory(url="http://127.0.0.1:9/sneaky", event_list="lead.qualified")  # e.g. DNS changed since creation
    [delivery] = publish("lead.qualified", {"lead_id": 1})
    assert attempt_delivery(delivery.id, final=True) is True
    assert delivery.status == "failed" and delivery.attempts[0].error.startswith("UnsafeWebhookUrl")


@pytest.mark.parametrize(
    "url",
    [
        "http://[::ffff:127.0.0.1]/x",
        "http://[64:ff9b::7f00:1]/x",
        "http://[2002:7f00:1::]/x",
        "http://[::127.0.0.1]/x",
        "http://[::1]/x",
        "http://100.64.0.1/x",
    ],
)
def test_ipv6_forms_embedding_a_private_ipv4_are_refused(auth, url):
    response = subscribe(auth.client("admin"), url)
    assert response.status_code == 422
    assert "url" in response.get_json()["errors"]


def rebinding_resolver(monkeypatch, hostname: str) -> dict:
    """A DNS that answers a public address first and 127.0.0.1 on every later lookup of `hostname`."""
    real = socket.getaddrinfo
    lookups = {"count": 0}

    def getaddrinfo(host, *args, **kwargs):
        if host == hostname:
            lookups["count"] += 1
            return real("93.184.216.34" if lookups["count"] == 1 else "127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def test_dns_rebinding_between_check_and_connect_reaches_nothing_local(app_ctx, receiver, monkeypatch):
    port = receiver.server.server_address[1]
    WebhookFactory(url=f"http://rebind.example:{port}/hook", event_list="lead.qualified")
    rebinding_resolver(monkeypatch, "rebind.example")
    real_connect = urllib3.util.connection.create_connection
    connected = []

    def create_connection(address, *args, **kwargs):
        connected.append(address[0])
        if address[0] == "93.184.216.34":
            raise OSError("no route in tests")
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    [delivery] = publish("lead.qualified", {"lead_id": 1})
    attempt_delivery(delivery.id, final=True)
    assert receiver.requests == []
    assert connected == ["93.184.216.34"]  # the vetted address, not a second lookup
    assert delivery.status == "failed"


def test_the_pinned_connection_keeps_the_host_header(app_ctx, receiver, monkeypatch):
    port = receiver.server.server_address[1]
    WebhookFactory(url=f"http://rebind.example:{port}/hook", event_list="lead.qualified")
    rebinding_resolver(monkeypatch, "rebind.example")
    real_connect = urllib3.util.connection.create_connection

    def create_connection(address, *args, **kwargs):  # the public address, routed to the test receiver
        assert address == ("93.184.216.34", port)
        return real_connect(("127.0.0.1", port), *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    [delivery] = publish("lead.qualified", {"lead_id": 1})
    assert attempt_delivery(delivery.id, final=True) is True
    assert delivery.status == "succeeded"
    assert receiver.requests[0]["headers"]["Host"] == f"rebind.example:{port}"


def test_https_connections_are_pinned_but_verify_the_name():
    adapter = DeliveryAdapter("hooks.example.com")
    assert adapter.poolmanager.connection_pool_kw["server_hostname"] == "hooks.example.com"
    assert adapter.poolmanager.connection_pool_kw["assert_hostname"] == "hooks.example.com"


def test_erasure_anonymises_logged_deliveries_and_replays(app, auth, private_webhooks, receiver):
    admin = auth.client("admin")
    webhook_id = subscribe(admin, receiver.url).get_json()["id"]
    with app.app_context():
        install_rules(RULES)
        db.session.commit()
    victim = auth.client("member", email="victim@acme.io", display_name="Victim Person")
    with app.app_context():
        for _ in range(2):
            record_activity(victim.member.id, "demo_requested", utcnow(), source="events")
        db.session.commit()
    assert victim.delete("/api/v1/me").status_code in (200, 202, 204)
    [delivery] = admin.get(f"/api/v1/webhooks/{webhook_id}/deliveries").get_json()["items"]
    data = delivery["payload"]["data"]
    assert data["member_id"] == victim.member.id
    assert (data["email"], data["display_name"]) == (f"erased-{victim.member.id}@invalid", "Former member")
    sent = len(receiver.requests)
    assert admin.post(f"/api/v1/webhooks/{webhook_id}/deliveries/{delivery['id']}/replay").status_code == 202
    body = receiver.requests[sent]["body"]
    assert b"victim" not in body.lower() and b"Victim Person" not in body


@pytest.mark.parametrize("url", ["https://93.184.216.34:99999/x", "https://93.184.216.34:0/x"])
def test_out_of_range_ports_are_422_naming_url(auth, url):
    response = subscribe(auth.client("admin"), url)
    assert response.status_code == 422
    assert "url" in response.get_json()["errors"]


@pytest.fixture
def raw_receiver():
    receivers = []

    def start(answer) -> RawReceiver:
        receivers.append(RawReceiver(answer))
        return receivers[-1]

    yield start
    for receiver in receivers:
        receiver.close()


def dribble(receiver, connection):
    """A valid 200, one byte at a time, each well within the socket timeout: eight seconds in all."""
    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Pad: slow-answer\r\n\r\n":
        receiver.write(connection, bytes([byte]))
        time.sleep(0.15)


def endless(receiver, connection):
    """A 200 followed by a body that does not end (64 MiB, unless the client hangs up first)."""
    receiver.write(connection, b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n")
    chunk = b"x" * 65536
    for _ in range(1024):
        receiver.write(connection, chunk)


def test_a_receiver_answering_byte_by_byte_is_cut_off_at_the_deadline(app, app_ctx, raw_receiver, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_DEADLINE_SECONDS", 1)
    receiver = raw_receiver(dribble)
    WebhookFactory(url=receiver.url, event_list="lead.qualified", allow_private=True)
    [delivery] = publish("lead.qualified", {"lead_id": 1})
    assert attempt_delivery(delivery.id, final=True) is True
    assert delivery.status == "failed"
    assert delivery.attempts[0].error.startswith("DeadlineExceeded")


def test_an_endless_answer_is_read_only_up_to_the_cap(app, app_ctx, raw_receiver, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_MAX_RESPONSE_BYTES", 64 * 1024)
    receiver = raw_receiver(endless)
    WebhookFactory(url=receiver.url, event_list="lead.qualified", allow_private=True)
    [delivery] = publish("lead.qualified", {"lead_id": 1})
    assert attempt_delivery(delivery.id, final=True) is True
    assert delivery.status == "succeeded"  # the status is the answer; the body is not ours to keep
    receiver.thread.join(10)
    assert receiver.sent < 16 * 1024 * 1024  # we hung up long before the 64 MiB (socket buffers hold a few)


@pytest.mark.parametrize("url", ["http://[ff02::1]/x", "http://[ff0e::1]/x", "http://[4000::1]/x"])
def test_ipv6_receivers_must_be_global_unicast(auth, url):
    response = subscribe(auth.client("admin"), url)  # multicast and unassigned space are "global" to Python
    assert response.status_code == 422
    assert "url" in response.get_json()["errors"]


def test_a_global_unicast_ipv6_receiver_is_accepted(auth):
    assert subscribe(auth.client("admin"), "https://[2606:4700:4700::1111]/hook").status_code == 201


def test_a_delivery_past_its_time_limit_is_logged_as_a_failed_attempt(app, app_ctx, monkeypatch):
    WebhookFactory(url="https://93.184.216.34/hook", event_list="lead.qualified")
    [delivery] = publish("lead.qualified", {"lead_id": 1})  # flushed, not committed: not sent on its own

    def interrupted(outgoing):
        raise SoftTimeLimitExceeded()  # what Celery raises in the task when its soft limit passes

    monkeypatch.setattr(webhooks, "send_delivery", interrupted)
    deliver_webhook.apply(args=[delivery.id])
    db.session.expire_all()
    delivery = db.session.get(WebhookDelivery, delivery.id)
    assert delivery.status == "failed" and delivery.attempts[0].error.startswith("SoftTimeLimitExceeded")


def test_a_database_error_while_creating_a_webhook_does_not_log_its_secret(app, auth, caplog, transaction):
    seen: list = []

    def break_the_insert(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO lead_webhooks "):
            seen.append(parameters)
            statement = statement.replace("INSERT INTO lead_webhooks ", "INSERT INTO lead_webhooks_gone ", 1)
        return statement, parameters

    admin = auth.client("admin")
    sa.event.listen(transaction, "before_cursor_execute", break_the_insert, retval=True)
    try:
        response = subscribe(admin, "https://93.184.216.34/hook")
    finally:
        sa.event.remove(transaction, "before_cursor_execute", break_the_insert)
    assert response.status_code >= 500 and "whsec_" not in response.get_data(as_text=True)
    [parameters] = seen
    secret = next(value for value in dict_or_tuple_values(parameters) if str(value).startswith("whsec_"))
    assert "lead_webhooks_gone" in caplog.text  # the error was logged
    assert secret not in caplog.text and "parameters hidden" in caplog.text


def dict_or_tuple_values(parameters):
    return parameters.values() if isinstance(parameters, dict) else parameters


def test_the_delivery_task_run_twice_sends_once(app_ctx, private_webhooks, receiver):
    WebhookFactory(url=receiver.url, event_list="lead.qualified", allow_private=True)
    [delivery] = publish("lead.qualified", {"lead_id": 1})  # flushed only: the task is run by hand below
    for _ in range(2):  # e.g. the sweep and a late after-commit send, or a broker redelivery
        deliver_webhook.apply(args=[delivery.id])
    db.session.expire_all()
    assert len(receiver.requests) == 1
    assert db.session.get(WebhookDelivery, delivery.id).attempt_count == 1


def test_a_webhook_made_or_deleted_in_a_transaction_counts_for_what_it_publishes_next(app_ctx, private_webhooks):
    """Subscriptions are read once per transaction; making or deleting a webhook there refreshes them."""
    admin = MemberFactory()
    assert publish("lead.qualified", {"lead_id": 1}) == []
    webhook = webhooks.create_webhook("http://127.0.0.1:9/hook", ["lead.qualified"], admin.id)
    assert [d.webhook_id for d in publish("lead.qualified", {"lead_id": 2})] == [webhook.id]
    assert publish("lead.status_changed", {"lead_id": 2}) == []
    webhooks.delete_webhook(webhook)
    assert publish("lead.qualified", {"lead_id": 3}) == []


def test_a_webhook_another_transaction_made_is_seen_by_the_next_one(app, private_webhooks):
    with app.app_context():
        assert publish("lead.qualified", {"lead_id": 1}) == []
        WebhookFactory(url="http://127.0.0.1:9/hook", event_list="lead.qualified", allow_private=True)
        db.session.commit()  # the transaction that read no subscriptions ends
        assert len(publish("lead.qualified", {"lead_id": 2})) == 1


def retry_rows() -> list:
    """The outbox rows of delivery retries (publish's own row, for the first send, has no retry)."""
    rows = db.session.scalars(sa.select(OutboxTask).order_by(OutboxTask.id))
    return [row for row in rows if "retry" in row.kwargs]


def test_a_failed_attempt_leaves_its_next_try_in_the_outbox_due_after_the_backoff(app_ctx, private_webhooks, receiver):
    """The worker's retry is a database row committed with the attempt, which the sweep sends when
    due: no broker holds the countdown (a Redis restart would lose it; test_live_outage)."""
    WebhookFactory(url=receiver.url, event_list="lead.qualified", allow_private=True)
    [delivery] = publish("lead.qualified", {"lead_id": 1})  # flushed only: the task is run by hand below
    receiver.statuses = [503, 503]
    before = utcnow()
    deliver_webhook(delivery.id, retry=3)  # called as a worker runs it (not eagerly)
    [row] = retry_rows()
    assert (row.task_name, row.args, row.kwargs) == ("leads.deliver_webhook", [delivery.id], {"retry": 4})
    assert before + timedelta(seconds=backoff(3)) <= row.available_at <= utcnow() + timedelta(seconds=backoff(3))
    assert row not in pending_rows(db.session)  # the commit does not send it
    db.session.expire_all()
    assert db.session.get(WebhookDelivery, delivery.id).status == "retrying"
    assert row.id not in [claimed.id for claimed in outbox.claim()]  # not due yet: the sweep leaves it
    row.available_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    assert row.id in [claimed.id for claimed in outbox.claim()]  # due: the sweep takes it


def test_the_last_try_fails_the_delivery_and_leaves_no_next_one(app_ctx, private_webhooks, receiver):
    WebhookFactory(url=receiver.url, event_list="lead.qualified", allow_private=True)
    [delivery] = publish("lead.qualified", {"lead_id": 1})
    receiver.statuses = [503]
    deliver_webhook(delivery.id, retry=MAX_DELIVERY_RETRIES)
    db.session.expire_all()
    assert db.session.get(WebhookDelivery, delivery.id).status == "failed"
    assert retry_rows() == []
