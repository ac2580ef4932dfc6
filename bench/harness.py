"""What every measure needs: a PostgreSQL database, servers, a load generator, timers."""

from __future__ import annotations

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/peerloop_bench"


@dataclass
class Row:
    """One line of the table: Peerloop's figure, its baseline, and the target for their ratio."""

    measure: str
    size: str
    peerloop: float
    baseline: float
    unit: str
    target: str
    met: bool | None
    notes: str = ""
    extra: dict = field(default_factory=dict)
    scale: float = 1.0

    @property
    def ratio(self) -> float:
        return self.peerloop / self.baseline if self.baseline else float("nan")

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio": round(self.ratio, 3)}


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)


def admin_engine(url: str):
    return sa.create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def drop_and_create(admin, name: str, template: str | None = None) -> None:
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        clause = f' TEMPLATE "{template}"' if template else ""
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"{clause}')


_migrated_templates: set[str] = set()


def recreate_database(url: str) -> None:
    """A fresh, migrated bench database: the real CLI migrates a template once per run,
    each measure then gets a copy of it (CREATE DATABASE ... TEMPLATE takes a second)."""
    parsed = make_url(url)
    template = f"{parsed.database}_template"
    admin = admin_engine(url)
    try:
        if template not in _migrated_templates:
            drop_and_create(admin, template)
            subprocess.run(
                [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                cwd=ROOT,
                env=server_env(parsed.set(database=template).render_as_string(hide_password=False)),
                check=True,
                capture_output=True,
            )
            _migrated_templates.add(template)
        drop_and_create(admin, parsed.database, template)
    finally:
        admin.dispose()


def release(app) -> None:
    """Close the measure's pooled connections before its database is dropped or copied."""
    from core.extensions import db

    with app.app_context():
        db.engine.dispose()


BENCH_SITE_URL = "http://127.0.0.1:5000"  # production needs one; links point here


def server_env(url: str, **extra) -> dict:
    env = {
        **os.environ,
        "PEERLOOP_ENV": "production",
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "PUBLIC_SITE_URL": BENCH_SITE_URL,
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "SESSION_COOKIE_SECURE": "false",
        "RATELIMIT_ENABLED": "false",
        **extra,
    }
    env.pop("CELERY_BROKER_URL", None)
    return env


def make_app(url: str):
    from config import ProductionConfig
    from core.app import create_app

    return create_app(
        ProductionConfig,
        SECRET_KEY="bench-secret-key-not-for-production",
        PUBLIC_SITE_URL=BENCH_SITE_URL,
        SQLALCHEMY_DATABASE_URI=url,
        LOG_LEVEL="WARNING",
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(target: str, env: dict, workers: int = 2, log: Path | None = None):
    """Serve `target` (module:app) with gunicorn's sync workers on a free port; its stderr goes
    to `log` when given (error tracebacks under load would drown the progress lines)."""
    port = free_port()
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
    stderr = open(log, "w") if log is not None else None  # noqa: SIM115  (closed below)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            target,
        ],
        cwd=ROOT,
        env=env,
        stderr=stderr,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn {target} did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)
        if stderr is not None:
            stderr.close()


def wrk(url: str, seconds: int, connections: int = 16, threads: int = 2) -> dict:
    """Requests per second and error counts from wrk, which must be installed."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: apt-get install wrk")
    out = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non_3xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non_3xx.group(1)) if non_3xx else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    return {"rps": rps, "requests": requests, "errors": errors, "p99": p99.group(0).split()[-1] if p99 else None}


def timed(fn, repeat: int) -> list[float]:
    """Wall-clock seconds of `repeat` calls of fn."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values)


def say(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


def alternating(calls: dict, *, minimum: int, maximum: int, budget: float, warmup: int = 2) -> dict[str, list[float]]:
    """Seconds per call of each of `calls`, called in turn (so both see the same noise), until
    `maximum` rounds, or `budget` seconds once `minimum` rounds are done."""
    for _ in range(warmup):
        for fn in calls.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in calls}
    started = time.monotonic()
    for done in range(maximum):
        if done >= minimum and time.monotonic() - started > budget:
            break
        for name, fn in calls.items():
            begin = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - begin)
    return times


def ms(seconds: float) -> float:
    return seconds * 1000.0


@contextmanager
def statements(engine):
    """The SQL statements (text, parameters) `engine` runs inside the block."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
