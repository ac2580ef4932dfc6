"""Fixtures: one app and schema per session, every test inside a rolled-back transaction.

Tests marked `live` talk to real processes (gunicorn, a Celery worker); they see
committed data, so they run outside the transaction and truncate afterwards.
"""

from __future__ import annotations

import email
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from celery import Celery
from flask_migrate import upgrade
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import orm

from config import TestConfig, database_url
from core.accounts.models import Member
from core.accounts.sessions import start_session
from core.app import create_app
from core.auth import SESSION_KEY, TOKEN_PREFIX, hash_token
from core.extensions import db, limiter
from core.outbox.dispatch import stop_background_runner
from tests.factories import ApiTokenFactory, MemberFactory

ROOT = Path(__file__).resolve().parent.parent
ROLES_UNDER_TEST = ("anonymous", "member", "moderator", "marketer", "sales", "admin")


def require_service(what: str) -> None:
    """Skip locally when a real service is not configured; in CI, fail instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required in CI but not configured")
    pytest.skip(f"{what} not configured")


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'peerloop-test.db'}"


def reset_schema() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    upgrade(directory=str(ROOT / "migrations"))


@pytest.fixture(scope="session")
def mail_dir(tmp_path_factory) -> Path:
    """Where the app, gunicorn and the worker write mails (the `file` backend: one file per mail)."""
    return tmp_path_factory.mktemp("mail")


@pytest.fixture(scope="session")
def app(database_uri, mail_dir):
    # Limiter initialised (so `rate_limits` can switch it on) but off by default.
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=database_uri,
        RATELIMIT_ENABLED=True,
        MAIL_FILE_PATH=str(mail_dir),
    )
    limiter.enabled = False
    with app.app_context():
        reset_schema()
        db.engine.dispose()
    return app


@pytest.fixture(autouse=True)
def transaction(request, app):
    """Bind every session of the test to one connection whose transaction rolls back."""
    if request.node.get_closest_marker("live"):
        yield
        truncate_all(app)
        return
    with app.app_context():  # popped before the test: each request gets its own context
        connection = db.engine.connect()
    outer = connection.begin()
    factory = orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    real_session, db.session = db.session, orm.scoped_session(factory, scopefunc=_app_ctx_id)
    try:
        yield connection
    finally:
        db.session = real_session
        outer.rollback()
        connection.close()


def truncate_all(app) -> None:
    with app.app_context():
        existing = set(sa.inspect(db.engine).get_table_names())
        tables = [t.name for t in reversed(db.metadata.sorted_tables) if t.name in existing]
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            else:
                for table in tables:
                    connection.execute(sa.text(f"DELETE FROM {table}"))
        db.session.remove()


@pytest.fixture
def app_ctx(app):
    """An app context for service-level tests. Not with `client`: requests would share it."""
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def rate_limits(app):
    """Turn rate limiting on (tests run with it off), with empty counters."""
    limiter.enabled = True
    limiter.reset()
    yield limiter
    limiter.reset()
    limiter.enabled = False


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Auth:
    """Members with roles, and test clients signed in as them."""

    def __init__(self, app):
        self.app = app

    def member(self, *roles: str, **fields):
        """A committed member, detached with its attributes loaded."""
        with self.app.app_context():
            member = MemberFactory(roles=[r for r in roles if r != "anonymous"], **fields)
            db.session.commit()
            db.session.refresh(member)
            db.session.expunge(member)
            return member

    def client(self, role_or_member="member", **fields):
        client = self.app.test_client()
        if role_or_member == "anonymous":
            return client
        member = self.member(role_or_member, **fields) if isinstance(role_or_member, str) else role_or_member
        with self.app.app_context():
            key = start_session(member)
            db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = str(member.id)
            session["_fresh"] = True
            session[SESSION_KEY] = key
        client.member = member
        return client

    def token(self, member, scopes: str = "read write") -> dict:
        """Authorization headers carrying a fresh API token of `member`."""
        plaintext = f"{TOKEN_PREFIX}{secrets.token_urlsafe(32)}"
        with self.app.app_context():
            owner = db.session.get(Member, member.id)
            ApiTokenFactory(member=owner, token_hash=hash_token(plaintext), scope_list=scopes)
            db.session.commit()
        return {"Authorization": f"Bearer {plaintext}"}


@pytest.fixture
def auth(app):
    return Auth(app)


# --- real processes -------------------------------------------------------


class Mailbox:
    """The mails the `file` backend wrote (one file per mail), oldest first, as parsed messages."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.seen = set(directory.iterdir())

    def messages(self) -> list:
        files = sorted((p for p in self.directory.iterdir() if p not in self.seen), key=lambda p: p.stat().st_mtime_ns)
        return [email.message_from_bytes(p.read_bytes().rsplit(b"\n" + b"-" * 79, 1)[0]) for p in files]

    def to(self, address: str) -> list:
        return [m for m in self.messages() if m["To"] == address]

    def link(self, address: str, path: str) -> str:
        """The token of the newest link to PUBLIC_SITE_URL/<path> mailed to `address`."""
        bodies = [m.get_payload(decode=True).decode() for m in self.to(address)]
        tokens = [re.search(rf"/{path}\?token=([\w-]+)", body) for body in bodies]
        found = [t.group(1) for t in tokens if t]
        assert found, f"no {path} link mailed to {address}"
        return found[-1]


@pytest.fixture
def mailbox(mail_dir) -> Mailbox:
    """Mails sent from now on in this test."""
    return Mailbox(mail_dir)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited early with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port} after {timeout}s")


def service_env(database_uri: str, **extra) -> dict:
    env = {**os.environ, "PEERLOOP_ENV": "test", "TEST_DATABASE_URL": database_uri, **extra}
    env.pop("FLASK_APP", None)
    return env


def production_env(database_uri: str, **extra) -> dict:
    """Settings as a deployment sets them (PEERLOOP_ENV=production), on the test database, over plain HTTP."""
    return service_env(
        database_uri, PEERLOOP_ENV="production", SECRET_KEY=TestConfig.SECRET_KEY, DATABASE_URL=database_uri,
        PUBLIC_SITE_URL=TestConfig.PUBLIC_SITE_URL, SESSION_COOKIE_SECURE="false", LOG_LEVEL="WARNING", **extra,
    )  # fmt: skip


@contextmanager
def gunicorn(env: dict):
    """gunicorn with two workers serving `wsgi:app`, as production runs it; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def worker(env: dict, *options: str):
    """A real Celery worker process (`celery -A wsgi.celery_app worker ...`) on every queue."""
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "wsgi.celery_app", "worker", "-Q", "celery,webhooks", *options],
        cwd=ROOT,
        env=env,
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


class RedisServer:
    """A redis-server of the test's own on a free port, to stop and start again (never the shared one)."""

    def __init__(self, directory: Path):
        if shutil.which("redis-server") is None:
            require_service("redis-server (to stop and start a Redis of the test's own)")
        self.port, self.directory, self.process = free_port(), directory, None
        self.url = f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory), "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port, self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def live_server(app, database_uri, mail_dir):
    """gunicorn with two workers serving the test database, as production runs it."""
    with gunicorn(service_env(database_uri, TEST_MAIL_FILE_PATH=str(mail_dir))) as url:
        yield url


@pytest.fixture(scope="session")
def celery_worker(app, database_uri, mail_dir):
    """A real Celery worker process consuming from the configured broker."""
    broker = os.environ.get("CELERY_BROKER_URL")
    if not broker:
        require_service("CELERY_BROKER_URL (a Redis broker)")
    celery_app = app.extensions["celery"]
    env = service_env(database_uri, CELERY_WORKER_REAL="1", TEST_MAIL_FILE_PATH=str(mail_dir))
    with worker(env, "--pool=solo", "--loglevel=WARNING") as process:
        deadline = time.monotonic() + 30
        while not celery_app.control.ping(timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Celery worker did not start")
        yield celery_app


class BrokerOutage:
    """While down, the app's tasks go to a Redis broker nobody listens on, as when Redis is down;
    `up()` brings back the app's own Celery (in-process in unit tests)."""

    def __init__(self, app, monkeypatch):
        self.app, self.own = app, app.extensions["celery"]
        monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery prefers it to its own setting
        self.dead = Celery(app.name, set_as_current=False)
        self.dead.config_from_object(
            {**app.config["CELERY"], "broker_url": f"redis://127.0.0.1:{free_port()}/0", "task_always_eager": False}
        )
        monkeypatch.setitem(app.extensions, "celery", self.dead)

    def up(self) -> None:
        self.app.extensions["celery"] = self.own


@pytest.fixture
def broker_outage(app, monkeypatch):
    return BrokerOutage(app, monkeypatch)


@pytest.fixture
def background_outbox(app, monkeypatch):
    """The embedded default: no broker, deferred work on this process's background thread
    (which sweeps every 0.2 s here). Stopped before the test's data is truncated."""
    monkeypatch.setitem(app.config, "OUTBOX_INLINE", False)
    monkeypatch.setitem(app.config, "OUTBOX_SWEEP_SECONDS", 0.2)
    yield
    stop_background_runner(app)


@pytest.fixture
def broker(celery_worker):
    """Send tasks to the real worker for this test instead of running them in-process."""
    celery_worker.conf.task_always_eager = False
    yield celery_worker
    celery_worker.conf.task_always_eager = True


def wait_until(predicate, timeout: float = 15.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
