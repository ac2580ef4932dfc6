"""Redis down: rate limits fall back to this process's memory, so sign-up, login and posting keep
working, and still stop at their limits."""

import pytest

from core.extensions import db, limiter
from tests.community.factories import CategoryFactory
from tests.conftest import free_port


@pytest.fixture
def limits_in_dead_redis(app, monkeypatch):
    """Rate limits on, stored in a Redis nobody listens on (Flask-Limiter binds its storage in init_app)."""
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", f"redis://127.0.0.1:{free_port()}/0")
    limiter.init_app(app)
    limiter.enabled = True
    yield
    monkeypatch.undo()
    limiter.init_app(app)  # the suite's in-memory storage (and a fresh fallback) again
    limiter._storage_dead = False  # Flask-Limiter has no public way to say the storage is back
    limiter.enabled = False


def test_signup_login_and_posting_work_and_are_still_limited(app, auth, limits_in_dead_redis, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_SIGNUP", "2 per hour")
    monkeypatch.setitem(app.config, "RATELIMIT_POST", "1 per minute")
    client = app.test_client()
    account = {"email": "kept@example.com", "password": "long enough pw", "display_name": "Kept"}
    assert client.post("/api/v1/auth/signup", json=account).status_code == 201
    login = {"email": account["email"], "password": account["password"]}
    assert client.post("/api/v1/auth/login", json=login).status_code == 200
    with app.app_context():
        category_id = CategoryFactory().id
        db.session.commit()
    thread = {"category_id": category_id, "title": "Still here", "body": "Redis is down", "tags": []}
    assert client.post("/api/v1/threads", json=thread).status_code == 201
    assert client.post("/api/v1/threads", json=thread).status_code == 429  # counted in memory
    second = {**account, "email": "second@example.com"}
    assert client.post("/api/v1/auth/signup", json=second).status_code == 201
    third = {**account, "email": "third@example.com"}
    assert client.post("/api/v1/auth/signup", json=third).status_code == 429
