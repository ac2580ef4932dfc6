"""Sending outbox rows: right after the commit that wrote them, and again by a periodic sweep.

With a broker, sending is publishing, best effort: a broker that is down leaves the row pending
for the sweep (the beat job `core.sweep_outbox`). Without one (the embedded default) sending is
running the task in-process, on a background thread, so a slow task never holds up a request.
With OUTBOX_INLINE (tests) it all happens in the committing thread, before commit() returns.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from datetime import timedelta
from typing import NamedTuple

from celery import Celery
from flask import Flask, current_app

from core.extensions import db
from core.models import utcnow
from core.outbox import services as outbox

logger = logging.getLogger(__name__)
KEEP_SENT = timedelta(days=7)
STOP = object()


def runs_in_background(app: Flask) -> bool:
    return not app.config["OUTBOX_INLINE"] and app.extensions["celery"].conf.task_always_eager


def hand_over(app: Flask, row_ids: list[int]) -> None:
    """After a commit: send its rows now, or queue them for the background thread. Never raises:
    the work is saved, and the sweep sends whatever this could not."""
    try:
        if runs_in_background(app):
            background_runner(app).submit(row_ids)
        else:
            dispatch(app, row_ids)
    except Exception:  # the database or broker failing here must not fail the committed request
        logger.exception("outbox rows %s left for the sweep", row_ids)


class Dispatched(NamedTuple):
    claimed: int
    refused: bool  # the broker refused a row: it and the rest stay pending


def dispatch(app: Flask, row_ids: list[int] | None = None) -> Dispatched:
    """Claim rows (these ids, or else the due ones) and send each, in order."""
    celery_app = app.extensions["celery"]
    with app.app_context():
        rows = outbox.claim(row_ids)
        db.session.commit()
        for position, row in enumerate(rows):
            if not send(celery_app, row):
                outbox.release([r.id for r in rows[position:]], "broker unavailable")
                db.session.commit()
                return Dispatched(len(rows), refused=True)
            outbox.mark_sent(row.id)
            db.session.commit()
    return Dispatched(len(rows), refused=False)


def send(celery_app: Celery, row: outbox.Claimed) -> bool:
    """Publish the task (or run it, without a broker). False when the broker refused it."""
    signature = celery_app.signature(row.task_name, args=row.args, kwargs=row.kwargs)
    if celery_app.conf.task_always_eager:
        try:
            signature.apply_async()
        except Exception:  # it ran and failed, as a worker would have logged it; it is not sent again
            logger.exception("deferred task %s (outbox row %s) failed", row.task_name, row.id)
        return True
    try:
        signature.apply_async(retry=False)  # no waiting on a broker that is down: the sweep retries
    except Exception:  # kombu raises transport-specific errors
        logger.warning("broker unavailable: outbox row %s (%s) stays pending", row.id, row.task_name, exc_info=True)
        return False
    return True


def sweep(app: Flask) -> int:
    """Send every due row, batch after batch, until none is left or the broker refuses; then
    forget rows sent long ago. How many rows were claimed."""
    total = 0
    while True:
        claimed, refused = dispatch(app)
        total += claimed
        if refused or claimed < outbox.BATCH:
            break
    with app.app_context():
        outbox.purge_sent(before=utcnow() - KEEP_SENT)
        db.session.commit()
    return total


class BackgroundRunner:
    """One daemon thread per process: sends the rows handed to it, and sweeps when idle."""

    def __init__(self, app: Flask):
        self.app = app
        self.pid = os.getpid()
        self.queue: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self.run, name="peerloop-outbox", daemon=True)
        self.thread.start()
        atexit.register(self.stop)

    def submit(self, row_ids: list[int]) -> None:
        self.queue.put(list(row_ids))

    def run(self) -> None:
        while True:
            try:
                row_ids = self.queue.get(timeout=self.app.config["OUTBOX_SWEEP_SECONDS"])
            except queue.Empty:
                row_ids = None
            if row_ids is STOP:
                self.queue.task_done()
                return
            try:
                dispatch(self.app, row_ids) if row_ids is not None else sweep(self.app)
            except Exception:  # the thread outlives a failing database; rows wait for the next sweep
                logger.exception("outbox background send failed")
            finally:
                if row_ids is not None:
                    self.queue.task_done()

    def alive(self) -> bool:
        return self.pid == os.getpid() and self.thread.is_alive()

    def wait_idle(self) -> None:
        """Until everything handed over so far has been sent."""
        self.queue.join()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what was handed over (at most `timeout` seconds), then end the thread."""
        if self.thread.is_alive():
            self.queue.put(STOP)
            self.thread.join(timeout)


RUNNER_KEY = "outbox_runner"
runner_lock = threading.Lock()


def background_runner(app: Flask) -> BackgroundRunner:
    """This process's runner, started on first use (a forked child starts its own)."""
    runner = app.extensions.get(RUNNER_KEY)
    if runner is not None and runner.alive():
        return runner
    with runner_lock:
        runner = app.extensions.get(RUNNER_KEY)
        if runner is None or not runner.alive():
            runner = app.extensions[RUNNER_KEY] = BackgroundRunner(app)
        return runner


def start_background_runner() -> None:
    """before_request: without a broker, each serving process sweeps, so rows a dead process left
    are sent even before anything new is deferred."""
    app = current_app._get_current_object()
    if runs_in_background(app):
        background_runner(app)


def stop_background_runner(app: Flask) -> None:
    runner = app.extensions.pop(RUNNER_KEY, None)
    if runner is not None and runner.pid == os.getpid():
        runner.stop()
