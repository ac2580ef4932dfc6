"""Behind reverse proxies (TRUSTED_PROXY_COUNT): the client address and scheme are what the
trusted proxies say, and at 0 nobody's X-Forwarded-* header counts."""

import pytest
import sqlalchemy as sa

from config import TestConfig
from core.app import create_links_app
from core.caller import keyed_hash
from core.extensions import db
from referrals.models import Click, MemberVisitor

CLIENT, OTHER_CLIENT, FORGED = "203.0.113.9", "198.51.100.20", "192.0.2.66"


def sign_up(client, email: str, forwarded_for: str | None = None, expect: int = 201):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    payload = {"email": email, "password": "long enough pw", "display_name": email.split("@")[0]}
    response = client.post("/api/v1/auth/signup", json=payload, headers=headers)
    assert response.status_code == expect, response.get_json()
    return response.get_json().get("id")


def address_hash(app, address: str) -> str:
    with app.app_context():
        return keyed_hash(address, "click-ip")


def signup_address_hash(app, member_id: int) -> str:
    with app.app_context():
        return db.session.scalar(sa.select(MemberVisitor.ip_hash).where(MemberVisitor.member_id == member_id))


def test_without_trusted_proxies_a_forwarded_for_header_changes_nothing(app):
    member_id = sign_up(app.test_client(), "direct@example.com", forwarded_for=FORGED)
    assert signup_address_hash(app, member_id) == address_hash(app, "127.0.0.1")


@pytest.mark.parametrize(
    ("count", "forwarded_for"),
    [(1, CLIENT), (1, f"{FORGED}, {CLIENT}"), (2, f"{FORGED}, {CLIENT}, 10.0.0.2")],
    ids=["one-proxy", "one-proxy-forged-prefix", "two-proxies"],
)
def test_the_client_is_the_address_the_trusted_proxies_saw(app, monkeypatch, count, forwarded_for):
    monkeypatch.setitem(app.config, "TRUSTED_PROXY_COUNT", count)
    member_id = sign_up(app.test_client(), "proxied@example.com", forwarded_for=forwarded_for)
    assert signup_address_hash(app, member_id) == address_hash(app, CLIENT)


def test_signup_limits_count_per_client_behind_the_proxy(app, rate_limits, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_PROXY_COUNT", 1)
    monkeypatch.setitem(app.config, "RATELIMIT_SIGNUP", "2 per hour")
    client = app.test_client()
    sign_up(client, "a1@example.com", CLIENT)
    sign_up(client, "a2@example.com", CLIENT)
    sign_up(client, "a3@example.com", CLIENT, expect=429)
    sign_up(client, "b1@example.com", OTHER_CLIENT)  # someone else behind the same proxy


def test_without_trusted_proxies_forged_addresses_share_one_limit(app, rate_limits, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_SIGNUP", "2 per hour")
    client = app.test_client()
    sign_up(client, "f1@example.com", CLIENT)
    sign_up(client, "f2@example.com", OTHER_CLIENT)
    sign_up(client, "f3@example.com", FORGED, expect=429)


def test_behind_a_tls_proxy_the_browsers_https_origin_is_the_sites_own(auth, app, monkeypatch):
    client = auth.client("member")
    headers = {"Origin": "https://localhost", "X-Forwarded-Proto": "https", "X-Forwarded-For": CLIENT}
    assert client.patch("/api/v1/me", json={"bio": "x"}, headers=headers).status_code == 403  # 0: not trusted
    monkeypatch.setitem(app.config, "TRUSTED_PROXY_COUNT", 1)
    assert client.patch("/api/v1/me", json={"bio": "x"}, headers=headers).status_code == 200


@pytest.fixture(scope="module")
def links_app(app, database_uri):
    return create_links_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_uri)


@pytest.mark.parametrize(("count", "seen_as"), [(0, "127.0.0.1"), (1, CLIENT)])
def test_the_links_app_hashes_the_same_client_address(app, auth, links_app, monkeypatch, count, seen_as):
    monkeypatch.setitem(links_app.config, "TRUSTED_PROXY_COUNT", count)
    code = auth.member().referral_code
    response = links_app.test_client().get(f"/r/{code}", headers={"X-Forwarded-For": f"{FORGED}, {CLIENT}"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Click.ip_hash)) == address_hash(app, seen_as)
