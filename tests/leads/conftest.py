"""Fixtures for the leads tests: rules set exactly, webhooks allowed to reach 127.0.0.1, a receiver."""

from __future__ import annotations

import copy
import http.server
import socket
import threading

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import utcnow
from leads.services.rules import DEFAULT_RULES, current_rules

RULES = {
    "weights": {"post_created": 3.0, "thread_created": 5.0, "reaction_given": 1.0, "demo_requested": 30.0,
                "pricing_viewed": 8.0, "page_viewed": 1.0, "email_unsubscribed": -10.0},
    "daily_caps": {"reaction_given": 2},
    "half_life_days": 30.0,
    "thresholds": {"engaged": 5.0, "mql": 30.0},
    "fit_rules": [],
}  # fmt: skip


def install_rules(config: dict) -> None:
    """Put rules in force directly (no rescore): for tests that start from a known state."""
    rules = current_rules()
    rules.config = copy.deepcopy(config)
    rules.active_config = copy.deepcopy(config)
    db.session.flush()


def qualify_member(app, **fields) -> int:
    """A member crosses the MQL threshold through scoring (two demo requests under RULES), as in
    production: qualification, assignment and their announcements all run. Returns the lead's id."""
    from leads.models import Lead
    from leads.services.scoring import record_activity
    from tests.factories import MemberFactory

    with app.app_context():
        install_rules(RULES)
        member = MemberFactory(**fields)
        for _ in range(2):
            record_activity(member.id, "demo_requested", utcnow(), source="events")
        db.session.commit()
        return db.session.scalar(sa.select(Lead.id).where(Lead.member_id == member.id))


@pytest.fixture
def rules(app_ctx):
    install_rules(RULES)
    return copy.deepcopy(RULES)


@pytest.fixture
def default_rules():
    return copy.deepcopy(DEFAULT_RULES)


@pytest.fixture
def private_webhooks(app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE_URLS", True)


class Receiver:
    """A real HTTP endpoint on 127.0.0.1 recording what it is sent; answers `statuses` in turn, then 200.
    While `gate` is closed (`gate.clear()`), it holds each answer until the gate opens."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.gate = threading.Event()
        self.gate.set()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802  (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                receiver.gate.wait(60)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    try:
        yield server
    finally:
        server.close()


class RawReceiver:
    """A TCP endpoint on 127.0.0.1 that answers a request with whatever `answer` writes on the socket;
    `sent` counts the bytes it managed to write before the client hung up."""

    def __init__(self, answer):
        self.sent = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        self.answer = answer
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        try:
            connection, _ = self.listener.accept()
        except OSError:
            return  # closed before anyone came
        with connection:
            connection.recv(65536)  # the request (small); its content does not matter here
            try:
                self.answer(self, connection)
            except OSError:
                pass  # the client hung up: what we are testing

    def write(self, connection, data: bytes) -> None:
        connection.sendall(data)
        self.sent += len(data)

    def close(self):
        self.listener.close()
        self.thread.join(10)
