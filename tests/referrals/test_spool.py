"""The click spool: answered clicks are stored exactly once, whoever drains them and whatever dies."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from config import TestConfig
from core.app import create_links_app
from core.extensions import db
from core.models import utcnow
from referrals.models import Click, ClickRollup, ClickSpoolOffset
from referrals.services import draining, fraud
from referrals.services.click_store import Stored, absorbing_row, store_clicks
from referrals.services.draining import (
    BATCH_BYTES,
    CLICK_FIELDS,
    SpoolRaced,
    drain_pending,
    drain_spool,
    host_turn,
    store_file,
)
from referrals.services.spool import ClickSpool, read_lines, spool_files, writer_gone
from tests.conftest import ROOT, free_port, live_env, wait_for_port, wait_until
from tests.factories import MemberFactory
from tests.referrals.conftest import drain_spool as drain_in_test


def record(member, **fields) -> dict:
    return (
        {column: None for column in CLICK_FIELDS}
        | {
            "occurred_at": utcnow(),
            "code": member.referral_code,
            "referrer_id": member.id,
            "visitor_id": "visitor-000000000001",
            "channel": "link",
            "ua_class": "browser",
        }
        | fields
    )


def stored(app, **filters) -> list[Click]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Click).filter_by(**filters).order_by(Click.id)))
        db.session.remove()
        return rows


@pytest.fixture
def spool(app):
    return ClickSpool(app.config["REFERRAL_CLICK_SPOOL_DIR"], rotate_bytes=10_000)


def test_each_spooled_click_is_stored_once(app, auth, spool):
    member = auth.member()
    for n in range(3):
        spool.append(record(member, utm_content=f"c{n}"))
    assert drain_in_test(app) == 3
    assert drain_in_test(app) == 0  # the offset moved with the clicks
    spool.append(record(member, utm_content="c3"))
    assert drain_in_test(app) == 1
    assert [c.utm_content for c in stored(app)] == ["c0", "c1", "c2", "c3"]


def test_a_file_rotates_once_it_is_big_enough(app, auth, spool):
    member = auth.member()
    first = None
    for n in range(60):  # about 350 bytes each
        spool.append(record(member, utm_content=f"c{n}"))
        first = first or spool.path
    assert len(spool_files(app.config["REFERRAL_CLICK_SPOOL_DIR"])) >= 2
    assert writer_gone(first) and not writer_gone(spool.path)
    assert drain_in_test(app) == 60


def test_floods_are_counted_on_one_row_per_minute(app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "REFERRAL_FLOOD_CLICKS", 3)
    member = MemberFactory()
    start = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=10)
    flood = [
        record(member, ip_hash="f" * 64, occurred_at=start + timedelta(seconds=n), visitor_id=f"visitor-{n:014d}")
        for n in range(50)
    ]
    store_clicks(db.session.connection(), flood[:20])
    store_clicks(db.session.connection(), flood[20:])
    rows = db.session.execute(sa.select(Click.hits)).scalars().all()
    assert sum(rows) == 50  # every redirect counted
    assert len(rows) == 4  # three under the limit, then one row for the rest of that minute


def test_clicks_counted_on_one_row_still_make_a_flood_for_the_fraud_check(app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "REFERRAL_FLOOD_CLICKS", 3)
    member, address = MemberFactory(), "e" * 64
    start = utcnow().replace(second=0, microsecond=0) - timedelta(hours=2)
    flood = [
        record(member, ip_hash=address, occurred_at=start + timedelta(seconds=n), visitor_id=f"visitor-{n:014d}")
        for n in range(15)
    ]
    store_clicks(db.session.connection(), flood)  # rows at 0, 1, 2 and 3 s, the last counting 12 clicks
    later = start + timedelta(hours=1, seconds=2.5)  # the hour up to it holds the 3 s row only
    store_clicks(db.session.connection(), [record(member, ip_hash=address, occurred_at=later, visitor_id="v" * 20)])
    touch = db.session.scalar(sa.select(Click).where(Click.visitor_id == "v" * 20))
    assert fraud.is_flood([touch])  # 13 clicks in the hour up to it, on two rows


FLOOD_START = utcnow().replace(microsecond=0)


@given(
    rows=st.lists(st.tuples(st.integers(0, 7200), st.integers(1, 30)), max_size=40),
    at=st.integers(0, 7300),
    limit=st.integers(1, 60),
)
def test_the_flood_check_counts_the_hour_before_a_click_as_the_plain_sum_would(rows, at, limit):
    """Rows of one IP hash and code (seconds after a start, hits): the check counts from the latest
    row back and stops early, and must decide as the sum over the whole hour does."""
    seen = sorted(Stored(FLOOD_START + timedelta(seconds=second), hits) for second, hits in rows)
    when = FLOOD_START + timedelta(seconds=at)
    before = [s for s in seen if s.occurred_at <= when]
    hour = sum(s.hits for s in before if s.occurred_at > when - fraud.FLOOD_PERIOD)
    minute = when.replace(second=0)
    expected = before[-1] if before and hour > limit and before[-1].occurred_at.replace(second=0) == minute else None
    assert absorbing_row(seen, when, limit) is expected


@pytest.mark.live
def test_a_drain_round_stores_what_the_file_held_when_it_began(app, auth, spool, monkeypatch):
    """A busy writer never keeps a drainer storing a few clicks at a time: what it writes during
    a round waits for the next one."""
    member = auth.member()
    for n in range(3):
        spool.append(record(member, utm_content=f"c{n}"))
    real_store_file = draining.store_file

    def store_while_a_click_arrives(*args, **kwargs):
        result = real_store_file(*args, **kwargs)
        if not hasattr(store_while_a_click_arrives, "done"):
            store_while_a_click_arrives.done = True
            spool.append(record(member, utm_content="during"))
        return result

    monkeypatch.setattr(draining, "store_file", store_while_a_click_arrives)
    with app.app_context():
        assert drain_spool() == 3
        assert drain_spool() == 1
    assert [c.utm_content for c in stored(app)] == ["c0", "c1", "c2", "during"]


@pytest.mark.live
def test_an_interrupted_drain_stores_nothing_twice(app, auth, spool, monkeypatch):
    member = auth.member()
    for n in range(5):
        spool.append(record(member, utm_content=f"c{n}"))
    with app.app_context():
        monkeypatch.setattr("referrals.services.draining.advance", boom)
        with pytest.raises(RuntimeError):
            drain_spool()  # killed after the clicks were inserted, before the offset moved
        monkeypatch.undo()
        assert stored(app) == []  # both went with the transaction
        assert drain_spool() == 5
        assert drain_spool() == 0
    assert [c.utm_content for c in stored(app)] == [f"c{n}" for n in range(5)]


def boom(*args, **kwargs):
    raise RuntimeError("drainer died")


@pytest.mark.live
def test_a_gone_writers_file_is_stored_then_deleted_and_its_torn_line_dropped(app, auth, spool):
    member = auth.member()
    spool.append(record(member, utm_content="whole"))
    path = spool.path
    with open(path, "ab") as file:
        file.write(b'{"occurred_at": "2026-')  # the writer died in the middle of a line it never answered
    with app.app_context():
        assert drain_spool() == 1 and path.exists()  # still locked by its writer
        spool.close()
        assert drain_spool() == 0
        assert db.session.get(ClickSpoolOffset, path.name) is None
    assert not path.exists()
    assert [c.utm_content for c in stored(app)] == ["whole"]


def worker_pids(master: int) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


class Load:
    """Client threads following one link, each request tagged (utm_content) so every answer is known."""

    def __init__(self, url: str, threads: int = 4):
        self.url, self.answered, self.failed = url, [], []
        self.stopped = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(n,)) for n in range(threads)]

    def run(self, n: int) -> None:
        for i in range(10**9):
            if self.stopped.is_set():
                return
            tag = f"t{n}-{i}"
            try:
                response = requests.get(f"{self.url}?utm_content={tag}", allow_redirects=False, timeout=10)
            except requests.RequestException:
                self.failed.append(tag)
                continue
            (self.answered if response.status_code == 302 else self.failed).append(tag)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        for thread in self.threads:
            thread.join(timeout=30)


@pytest.mark.live
def test_every_answered_redirect_is_stored_when_a_worker_is_killed(app, auth, database_uri, tmp_path_factory):
    member = auth.member()
    port = free_port()
    env = live_env(database_uri, tmp_path_factory, REFERRAL_FLOOD_CLICKS="1000000")  # one row per click here
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for_port(port, server)
        with Load(f"http://127.0.0.1:{port}/r/{member.referral_code}") as load:
            wait_until(lambda: len(load.answered) >= 300, timeout=60)
            victim = worker_pids(server.pid)[0]
            os.kill(victim, signal.SIGKILL)
            answered_at_kill = len(load.answered)
            wait_until(lambda: len(load.answered) >= answered_at_kill + 300, timeout=60)
        spool_dir = Path(env["REFERRAL_CLICK_SPOOL_DIR"])
        # the killed worker's file is stored by the others' drainers, then deleted
        wait_until(lambda: not any(f"-{victim}-" in f.name for f in spool_files(spool_dir)), timeout=60)
        wait_until(lambda: len(stored(app, referrer_id=member.id)) >= len(load.answered), timeout=60)
        time.sleep(1)  # anything still to come would be a duplicate
    finally:
        server.terminate()
        server.wait(timeout=20)
    tags = Counter(c.utm_content for c in stored(app, referrer_id=member.id))
    assert max(tags.values()) == 1, "a click was stored twice"
    assert set(load.answered) <= set(tags), "an answered redirect was lost"
    # Only a request cut off by the kill after its click was spooled may be stored unanswered.
    assert set(tags) - set(load.answered) <= set(load.failed)
    print(f"{len(load.answered)} answered, {len(tags)} stored, {len(load.failed)} cut off by the kill")


def test_no_redirect_without_its_click(app, visitor, auth, monkeypatch):
    full = ClickSpool(app.config["REFERRAL_CLICK_SPOOL_DIR"], rotate_bytes=10_000)
    full._fd, full._pid = os.open("/dev/full", os.O_WRONLY), os.getpid()  # every write: ENOSPC, a full disk
    monkeypatch.setitem(app.extensions, "referral_click_spool", full)
    response = visitor().get(f"/r/{auth.member().referral_code}")
    assert response.status_code == 503 and "Location" not in response.headers
    assert response.get_json()["code"] == 503
    assert full._fd is None  # the file is given up: the next click starts a new one


def test_unreadable_lines_are_skipped_and_the_rest_stored(app, auth, spool, caplog):
    member = auth.member()
    spool.append(record(member, utm_content="before"))
    with open(spool.path, "ab") as file:
        file.write(b"not json\n" + b'{"v": 99, "occurred_at": "2026-03-01T00:00:00+00:00"}\n')
    spool.append(record(member, utm_content="after"))
    assert drain_in_test(app) == 2
    assert [c.utm_content for c in stored(app)] == ["before", "after"]
    assert sum("skipped an unreadable line" in r.getMessage() for r in caplog.records) == 2


def test_a_drainer_with_a_stale_offset_stores_nothing(app, app_ctx, auth, spool):
    member = auth.member()
    spool.append(record(member, utm_content="c0"))
    first_line = spool.path.stat().st_size
    spool.append(record(member, utm_content="c1"))
    assert drain_pending() == 2
    spool.append(record(member, utm_content="c2"))
    savepoint = db.session.begin_nested()
    with pytest.raises(SpoolRaced):  # it read the offset before another drainer advanced it
        store_file(db.session.connection(), spool.path, first_line, BATCH_BYTES)
    savepoint.rollback()
    assert [c.utm_content for c in db.session.scalars(sa.select(Click).order_by(Click.id))] == ["c0", "c1"]
    assert drain_pending() == 1


def test_a_line_longer_than_a_batch_is_read_whole(tmp_path):
    path = tmp_path / "long.clicks"
    path.write_bytes(b"x" * 100 + b"\n" + b"y" * 10)  # then a line never completed
    assert read_lines(path, 0, 8) == (101, [b"x" * 100])
    assert read_lines(path, 101, 8) == (0, [])
    assert writer_gone(tmp_path / "gone.clicks")  # a file deleted meanwhile has no writer either


@pytest.mark.live
def test_one_drainer_per_host_at_a_time(app, tmp_path):
    with host_turn(tmp_path) as mine, host_turn(tmp_path) as other:
        assert (mine, other) == (True, False)
    with host_turn(tmp_path) as again:
        assert again  # the turn is free once its holder is done


@pytest.mark.live
def test_the_first_click_starts_the_drainer_that_stores_it(app, auth, database_uri, tmp_path):
    member = auth.member()
    links = create_links_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=database_uri,
        REFERRAL_CLICK_SPOOL_DIR=str(tmp_path),
        REFERRAL_CLICK_DRAIN_SECONDS=0.05,
    )
    try:
        for n in range(3):
            assert links.test_client().get(f"/r/{member.referral_code}?utm_content=c{n}").status_code == 302
        wait_until(lambda: len(stored(app, referrer_id=member.id)) == 3)
    finally:
        drainer = links.extensions["referral_click_drainer"]
        drainer.stopped.set()
        drainer.join(timeout=10)
        with links.app_context():
            db.engine.dispose()
    assert not drainer.is_alive()
    assert sorted(c.utm_content for c in stored(app, referrer_id=member.id)) == ["c0", "c1", "c2"]


def click_rollups(app) -> set:
    with app.app_context():
        rows = {tuple(row) for row in db.session.execute(sa.select(ClickRollup.__table__))}
        db.session.remove()
        return rows


@pytest.mark.live
def test_the_operator_commands_drain_the_spool_and_rebuild_the_rollups(app, auth, spool, runner):
    member = auth.member()
    for n in range(2):
        spool.append(record(member, utm_content=f"c{n}"))
    spool.close()  # the web processes stopped for good
    result = runner.invoke(args=["referrals", "drain-clicks"])
    assert (result.exit_code, result.output) == (0, "stored 2 clicks\n")
    assert spool_files(app.config["REFERRAL_CLICK_SPOOL_DIR"]) == []  # stored, then deleted
    kept = click_rollups(app)
    assert kept and len(stored(app)) == 2
    with app.app_context():
        db.session.execute(sa.delete(ClickRollup))  # e.g. after a bulk load that bypassed them
        db.session.commit()
    result = runner.invoke(args=["referrals", "rebuild-rollups"])
    assert (result.exit_code, result.output) == (0, "rollups rebuilt\n")
    assert click_rollups(app) == kept
