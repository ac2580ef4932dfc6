"""Draining the click spool into the database, every line exactly once.

A file's stored offset advances in the transaction that stores its lines, so a drainer killed at
any point leaves either both or neither; all drainers take the click store lock, so two never store
the same lines. Three ways to drain:

- `drain_pending()`: in the caller's transaction (a signup, an export, a test), everything pending;
- `drain_spool()`: one transaction per batch, then deletes the files whose writer is gone: the
  drainer thread of every web process, `flask referrals drain-clicks` and the Celery task;
- `start_drainer(app)`: that thread, started by the first click a process answers.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app

from core.extensions import db
from core.models import utcnow
from referrals.models import Click, ClickSpoolOffset
from referrals.services.click_store import store_clicks
from referrals.services.rollups import lock_click_store
from referrals.services.spool import decode, read_lines, spool_files, writer_gone

logger = logging.getLogger(__name__)
BATCH_BYTES = 1 << 20  # about 3,000 clicks per transaction
CLICK_FIELDS = [c.key for c in Click.__table__.columns if c.key not in ("id", "hits")]


class SpoolRaced(RuntimeError):
    """Another drainer stored these lines first (only without the lock, e.g. a misconfigured host)."""


def spool_directory() -> Path:
    return Path(current_app.config["REFERRAL_CLICK_SPOOL_DIR"])


def stored_offsets(connection: sa.Connection, paths: list[Path]) -> dict[str, int]:
    names = [p.name for p in paths]
    rows = connection.execute(
        sa.select(ClickSpoolOffset.name, ClickSpoolOffset.stored_bytes).where(ClickSpoolOffset.name.in_(names))
    )
    return dict(rows.all())


def advance(connection: sa.Connection, name: str, start: int, end: int) -> None:
    table = ClickSpoolOffset.__table__
    if start == 0:
        connection.execute(sa.insert(table).values(name=name, stored_bytes=end, updated_at=utcnow()))
        return
    changed = connection.execute(
        sa.update(table)
        .where(table.c.name == name, table.c.stored_bytes == start)
        .values(stored_bytes=end, updated_at=utcnow())
    )
    if changed.rowcount != 1:
        raise SpoolRaced(name)


def parse(lines: list[bytes], path: Path) -> list[dict]:
    records = []
    for line in lines:
        try:
            fields = decode(line)
            records.append({key: fields.get(key) for key in CLICK_FIELDS})
        except (ValueError, KeyError, TypeError):
            logger.error("skipped an unreadable line of %s", path.name)
    return records


def store_file(connection: sa.Connection, path: Path, start: int, max_bytes: int) -> tuple[int, int]:
    """Store the complete lines after `start` (about max_bytes of them) and advance the offset."""
    consumed, lines = read_lines(path, start, max_bytes)
    if not consumed:
        return start, 0
    records = parse(lines, path)
    store_clicks(connection, records)
    advance(connection, path.name, start, start + consumed)
    return start + consumed, len(records)


def drain_pending() -> int:
    """Store every spooled click not stored yet, in the caller's transaction; returns how many."""
    connection = db.session.connection()
    if not pending(connection):
        return 0
    lock_click_store(connection)
    total = 0
    for path, offset in pending(connection):
        end, stored = store_file(connection, path, offset, BATCH_BYTES)
        while end != offset:
            total += stored
            offset = end
            end, stored = store_file(connection, path, offset, BATCH_BYTES)
    return total


def pending(connection: sa.Connection) -> list[tuple[Path, int]]:
    """The spool files with bytes not stored yet, and their stored offsets."""
    sizes = {path: size for path in spool_files(spool_directory()) if (size := file_size(path)) is not None}
    offsets = stored_offsets(connection, list(sizes))
    return [(path, offsets.get(path.name, 0)) for path, size in sizes.items() if size > offsets.get(path.name, 0)]


def file_size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


@contextmanager
def own_transaction():
    """A transaction of its own (the links app's engine autocommits each statement on PostgreSQL)."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="READ COMMITTED")
        with connection.begin():
            lock_click_store(connection)
            yield connection


def drain_spool() -> int:
    """Store the spool one batch per transaction; delete each file once stored if its writer is gone."""
    total = 0
    for path in spool_files(spool_directory()):
        gone = writer_gone(path)  # before reading: a writer gone now wrote its last line already
        total += drain_file(path)
        if gone:
            finish_file(path)
    return total


def drain_file(path: Path) -> int:
    """Store what the file held when the round began, a batch per transaction: lines written since
    wait for the next round, so a busy writer never keeps a drainer storing a few clicks at a time."""
    size, total = file_size(path) or 0, 0
    while True:
        with own_transaction() as connection:
            start = stored_offsets(connection, [path]).get(path.name, 0)
            if start >= size:
                return total
            end, stored = store_file(connection, path, start, BATCH_BYTES)
        if end == start:
            return total
        total += stored


def finish_file(path: Path) -> None:
    """Delete a stored file of a gone writer (the file first: its offset row alone is harmless)."""
    with own_transaction() as connection:
        stored = stored_offsets(connection, [path]).get(path.name, 0)
        consumed, _ = read_lines(path, stored, BATCH_BYTES)
        if consumed:
            return  # not all stored yet: next time
        torn = (file_size(path) or 0) - stored
        if torn:
            logger.warning("%s ends with %s bytes of a line never completed (never answered)", path.name, torn)
        path.unlink(missing_ok=True)
        connection.execute(sa.delete(ClickSpoolOffset).where(ClickSpoolOffset.name == path.name))


class Drainer(threading.Thread):
    """Drains the host's spool every `interval` seconds, while no other process of the host does."""

    def __init__(self, app: Flask, interval: float):
        super().__init__(name="click-spool-drainer", daemon=True)
        self.app, self.interval = app, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            with self.app.app_context():
                try:
                    with host_turn(spool_directory()) as mine:
                        if mine:
                            drain_spool()
                except Exception:  # the next round tries again; the spool keeps every click meanwhile
                    logger.exception("draining the click spool failed")


@contextmanager
def host_turn(directory: Path):
    """Whether this process drains now: one at a time per host, the others skip the round."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(directory / ".drain.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        yield False
        return
    try:
        yield True
    finally:
        os.close(fd)


_start_lock = threading.Lock()


def start_drainer(app: Flask) -> None:
    """Start this process's drainer thread for `app` once (REFERRAL_CLICK_DRAIN_SECONDS 0: never);
    it is `app.extensions["referral_click_drainer"]` (set its `stopped` to end it). Marked per
    process id: a forked child starts its own."""
    pid = os.getpid()
    if app.extensions.get("referral_click_drainer_pid") == pid:
        return
    with _start_lock:
        if app.extensions.get("referral_click_drainer_pid") == pid:
            return
        app.extensions["referral_click_drainer_pid"] = pid
        interval = app.config["REFERRAL_CLICK_DRAIN_SECONDS"]
        if interval > 0:
            app.extensions["referral_click_drainer"] = drainer = Drainer(app, interval)
            drainer.start()
