"""Accounts against real processes: gunicorn with two workers, and a Celery worker on Redis."""

import pytest
import requests
import sqlalchemy as sa

from core.accounts.models import Member
from core.extensions import db
from tests.conftest import wait_until

pytestmark = pytest.mark.live


def test_accounts_scenario_against_gunicorn(live_server, auth):
    browser = requests.Session()
    signup = browser.post(
        f"{live_server}/api/v1/auth/signup",
        json={"email": "Live@Example.com", "password": "a long password", "display_name": "Live"},
    )
    assert signup.status_code == 201 and "peerloop_session" in browser.cookies
    member_id = signup.json()["id"]
    assert browser.get(f"{live_server}/api/v1/me").json()["email"] == "Live@Example.com"

    token = browser.post(f"{live_server}/api/v1/me/tokens", json={"name": "script", "scopes": ["read"]}).json()
    script = {"Authorization": f"Bearer {token['token']}"}
    assert requests.get(f"{live_server}/api/v1/me", headers=script).json()["id"] == member_id
    assert requests.patch(f"{live_server}/api/v1/me", json={"bio": "x"}, headers=script).status_code == 403

    assert browser.get(f"{live_server}/api/v1/members").status_code == 403
    admin = auth.member("admin")
    admin_headers = auth.token(admin)
    promoted = requests.patch(
        f"{live_server}/api/v1/members/{member_id}", json={"roles": ["sales"]}, headers=admin_headers
    )
    assert promoted.json()["roles"] == ["member", "sales"]

    duplicate = requests.post(
        f"{live_server}/api/v1/auth/signup",
        json={"email": "live@example.COM", "password": "a long password", "display_name": "Again"},
    )
    assert duplicate.status_code == 409 and "email" in duplicate.json()["errors"]
    bad = requests.post(
        f"{live_server}/api/v1/auth/signup", data=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert bad.status_code == 400 and bad.json()["errors"] == {"body": ["Invalid JSON body."]}

    assert browser.post(f"{live_server}/api/v1/auth/logout").status_code == 204
    assert browser.get(f"{live_server}/api/v1/me").status_code == 401
    assert requests.get(f"{live_server}/healthz").json()["database"] == "ok"


def test_erasure_runs_on_a_real_celery_worker(broker, auth, app):
    client = auth.client("member")
    assert client.delete("/api/v1/me").status_code == 204

    def content_erased():
        with app.app_context():
            return db.session.scalar(sa.select(Member.content_erased_at).where(Member.id == client.member.id))

    assert wait_until(content_erased) is not None


def test_sessions_end_for_real_and_tokens_cannot_manage_the_account_against_gunicorn(live_server):
    browser = requests.Session()
    body = {"email": "saved@example.com", "password": "a long password", "display_name": "Saved"}
    assert browser.post(f"{live_server}/api/v1/auth/signup", json=body).status_code == 201
    saved = requests.Session()  # a copy of the cookie as it was, e.g. stolen or left on a shared machine
    saved.cookies.update(browser.cookies)
    assert all(saved.get(f"{live_server}/api/v1/me").status_code == 200 for _ in range(4))  # both workers
    token = browser.post(f"{live_server}/api/v1/me/tokens", json={"name": "w", "scopes": ["read", "write"]}).json()
    script = {"Authorization": f"Bearer {token['token']}"}
    minted = requests.post(f"{live_server}/api/v1/me/tokens", json={"name": "child"}, headers=script)
    assert minted.status_code == 403 and "session" in minted.json()["message"]
    assert browser.post(f"{live_server}/api/v1/auth/logout").status_code == 204
    assert [saved.get(f"{live_server}/api/v1/me").status_code for _ in range(4)] == [401] * 4


def test_a_real_worker_mails_the_verification_link(broker, app, client, mailbox):
    body = {"email": "worker@example.com", "password": "a long password", "display_name": "Worker"}
    assert client.post("/api/v1/auth/signup", json=body).status_code == 201
    token = wait_until(lambda: mailbox.to("worker@example.com") and mailbox.link("worker@example.com", "verify-email"))
    assert client.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 204
    assert client.get("/api/v1/me").get_json()["email_verified"] is True
