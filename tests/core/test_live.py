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
