"""Measure 2: Segment-compatible batch ingestion under gunicorn vs plain INSERTs of the same rows."""

from __future__ import annotations

import json
import math
import random
import threading
import time
import uuid
from datetime import timedelta

import psycopg
import requests

from bench.harness import ROOT, Row, gunicorn, say, server_env, statements
from bench.populate import building, members, sized, staff_token, vacuum_analyze
from bench.top_leads import libpq_url
from core.models import utcnow
from leads.services.common import days_since_unix

BATCH = 100
MAX_ATTEMPTS = 10
RETRIED = (429, 500, 502, 503, 504)
CLIENTS = 4
EVENT_TYPES = ("page_viewed", "page_viewed", "pricing_viewed", "content_shared", "feature_used", "demo_requested")
LOG = ROOT / "bench" / "results" / "ingestion-gunicorn.log"
INSERT = """
    INSERT INTO bench_activities (message_id, member_id, user_id, source, activity_type, occurred_at, occurred_days,
                                  day, properties, scored, received_at)
    VALUES (%s, %s, %s, 'segment', %s, %s, %s, %s, %s, true, now())
"""


def build(url: str, people: int) -> None:
    """Known members, each with a Segment userId linked to them and a score row."""
    with building(url, f"{people:,} known members with Segment user ids") as connection:
        members(connection, 1, people)
        connection.exec_driver_sql(f"""
            INSERT INTO lead_identities (kind, external_id, member_id, created_at)
            SELECT 'user_id', 'u' || i, i, now() FROM generate_series(1, {people}) AS i
        """)
        connection.exec_driver_sql(f"""
            INSERT INTO lead_scores (member_id, engagement_sum, fit, stage)
            SELECT i, 0.0, 0.0, 'member' FROM generate_series(1, {people}) AS i
        """)
        connection.exec_driver_sql("CREATE TABLE bench_activities (LIKE lead_activities INCLUDING ALL)")
    vacuum_analyze(url, "members", "lead_identities", "lead_scores")


def make_batches(count: int, people: int, seed: int, size: int = BATCH) -> list[list[dict]]:
    rng = random.Random(seed)
    now = utcnow()
    batches = []
    for _ in range(count):
        events = []
        for _ in range(size):
            at = now - timedelta(seconds=rng.randrange(30 * 86400))
            events.append(
                {
                    "type": "track",
                    "event": rng.choice(EVENT_TYPES),
                    "userId": f"u{rng.randrange(1, people + 1)}",
                    "messageId": uuid.UUID(int=rng.getrandbits(128)).hex,
                    "timestamp": at.isoformat(),
                    "properties": {"path": f"/docs/{rng.randrange(50)}"},
                }
            )
        batches.append(events)
    return batches


def row_of(event: dict) -> tuple:
    """The ledger row the service would write for this event, as plain values."""
    from datetime import datetime

    at = datetime.fromisoformat(event["timestamp"])
    days = days_since_unix(at)
    member_id = int(event["userId"][1:])
    props = json.dumps(event["properties"])
    return (event["messageId"], member_id, event["userId"], event["event"], at, days, math.floor(days), props)


def in_threads(work, batches: list, clients: int, budget: float | None = None) -> tuple[float, int]:
    """Seconds for `clients` threads to work through `batches` (each thread takes the next batch),
    and how many they did: after `budget` seconds no new batch is started."""
    lock, queue, errors, done = threading.Lock(), list(reversed(batches)), [], []
    deadline = None if budget is None else time.perf_counter() + budget

    def worker() -> None:
        try:
            state = work(None)
            while True:
                with lock:
                    if not queue or (deadline is not None and time.perf_counter() > deadline):
                        break
                    batch = queue.pop()
                work(state, batch)
                with lock:
                    done.append(batch)
        except Exception as error:  # noqa: BLE001  (reported below, not swallowed)
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started, len(done)


def poster(base: str, token: str, tally: dict):
    tally_lock = threading.Lock()

    def work(session, batch=None):
        if batch is None:
            session = requests.Session()
            session.auth = (token, "")
            return session
        body = json.dumps({"batch": batch, "sentAt": utcnow().isoformat()})
        for _attempt in range(MAX_ATTEMPTS):
            response = session.post(
                f"{base}/api/v1/segment/v1/batch", data=body, headers={"Content-Type": "application/json"}, timeout=120
            )
            if response.status_code not in RETRIED:
                break
            with tally_lock:
                tally["retries"] += 1  # Segment's clients retry 429 and 5xx answers too, with backoff
            time.sleep(random.uniform(0.05, 0.1) * 2**_attempt)
        if response.status_code != 200 or response.json()["received"] != len(batch):
            raise RuntimeError(f"ingestion answered {response.status_code}: {response.text[:300]}")
        return session

    return work


def inserter(url: str):
    def work(connection, batch=None):
        if batch is None:
            return psycopg.connect(libpq_url(url))
        with connection.cursor() as cursor:
            cursor.executemany(INSERT, [row_of(event) for event in batch])
        connection.commit()
        return connection

    return work


def statements_per_event(app, token: str, batch: list[dict]) -> float:
    """The profile: SQL statements one batch costs, posted in-process through the test client."""
    from base64 import b64encode

    from core.extensions import db

    headers = {"Authorization": "Basic " + b64encode(f"{token}:".encode()).decode()}
    with app.app_context(), statements(db.engine) as seen:
        response = app.test_client().post("/api/v1/segment/v1/batch", json={"batch": batch}, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
    return len(seen) / len(batch)


def run(app, url: str, scale: float) -> list[Row]:
    people = sized(10_000, scale, 2000)
    count = sized(400, min(scale, 1), 8)  # batches of 100 events, at most
    budget = max(5.0, 40 * min(scale, 1))  # seconds of sending; the batches done by then are counted
    build(url, people)
    token = staff_token(app, "integration@bench.example", "marketer", ["ingest"])
    warmup, batches = make_batches(CLIENTS, people, 1, size=5), make_batches(count, people, 2)
    per_event = statements_per_event(app, token, make_batches(1, people, 3)[0])
    warm, tally = {"retries": 0}, {"retries": 0}
    with gunicorn("wsgi:app", server_env(url), log=LOG) as base:
        in_threads(poster(base, token, warm), warmup, CLIENTS)
        say(f"ingestion: up to {count * BATCH:,} events for {budget:.0f}s in batches of {BATCH} from {CLIENTS} clients")
        ours, sent = in_threads(poster(base, token, tally), batches, CLIENTS, budget)
    deadlocks = LOG.read_text().count("DeadlockDetected: deadlock detected")
    say("ingestion: the same rows as plain INSERTs (psycopg executemany, commit per batch)")
    in_threads(inserter(url), warmup, CLIENTS)
    plain, _ = in_threads(inserter(url), batches[:sent], CLIENTS)
    with psycopg.connect(libpq_url(url)) as connection:
        stored = connection.execute("SELECT count(*) FROM lead_activities WHERE source = 'segment'").fetchone()[0]
        leads = connection.execute("SELECT count(*) FROM leads").fetchone()[0]
    events = sent * BATCH
    expected = events + sum(map(len, warmup)) + BATCH
    ratio = (events / ours) / (events / plain)
    return [
        Row(
            measure="2. Segment batch ingestion, gunicorn -w 2",
            size=f"{events:,} events, {CLIENTS} clients, {people:,} members",
            peerloop=events / ours,
            baseline=events / plain,
            unit="events/s",
            target="ratio ≥ 0.3",
            met=ratio >= 0.3 and stored == expected,
            notes=(
                f"{stored:,}/{expected:,} events stored and scored, {per_event:.1f} SQL statements per event; "
                f"{tally['retries']} batches retried after a 5xx "
                f"({deadlocks} deadlocks in the server log {LOG.name}); {leads} members became leads meanwhile"
            ),
            extra={
                "stored": stored,
                "expected": expected,
                "seconds": ours,
                "plain_seconds": plain,
                "retries": tally["retries"],
                "deadlocks": deadlocks,
                "statements_per_event": per_event,
            },
        )
    ]
