"""Sessions end for real: logout, logout-all, a new password, a ban, an erasure."""

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from core.accounts import sessions
from core.accounts.models import ApiToken, MemberSession
from core.extensions import db
from tests.factories import PASSWORD

COOKIE = "peerloop_session"
ALLOWED_ORIGIN = "https://app.brand.example"  # TestConfig.CORS_ORIGINS


def signed_in(app, email: str, password: str = PASSWORD):
    client = app.test_client()
    assert client.post("/api/v1/auth/login", json={"email": email, "password": password}).status_code == 200
    return client


def replay(app, client):
    """A second browser holding a copy of `client`'s session cookie as it is now."""
    copy = app.test_client()
    copy.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return copy


def test_a_cookie_saved_before_logout_is_refused_afterwards(app, auth):
    member = auth.member()
    browser = signed_in(app, member.email)
    saved = replay(app, browser)
    assert saved.get("/api/v1/me").status_code == 200
    assert browser.post("/api/v1/auth/logout").status_code == 204
    assert saved.get("/api/v1/me").status_code == 401
    assert browser.get("/api/v1/me").status_code == 401


def test_logout_ends_only_that_session(app, auth):
    member = auth.member()
    laptop, phone = signed_in(app, member.email), signed_in(app, member.email)
    laptop.post("/api/v1/auth/logout")
    assert phone.get("/api/v1/me").status_code == 200


def test_logout_all_ends_every_session(app, auth):
    member = auth.member()
    laptop, phone = signed_in(app, member.email), signed_in(app, member.email)
    saved = replay(app, laptop)
    assert laptop.post("/api/v1/auth/logout-all").status_code == 204
    assert [c.get("/api/v1/me").status_code for c in (laptop, phone, saved)] == [401, 401, 401]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MemberSession)) == 0


def test_a_new_password_ends_every_other_session_and_renews_this_one(app, auth):
    member = auth.member()
    browser, other = signed_in(app, member.email), signed_in(app, member.email)
    saved = replay(app, browser)
    changed = browser.patch("/api/v1/me", json={"password": "a brand new password", "current_password": PASSWORD})
    assert changed.status_code == 200
    assert saved.get("/api/v1/me").status_code == 401
    assert other.get("/api/v1/me").status_code == 401
    assert browser.get("/api/v1/me").status_code == 200  # a fresh session came with the answer


@pytest.mark.parametrize("how", ["admin", "moderator"])
def test_a_ban_ends_sessions_and_revokes_tokens(app, auth, how):
    member = auth.member()
    browser = signed_in(app, member.email)
    headers = auth.token(member)
    path = {
        "admin": ("PATCH", f"/api/v1/members/{member.id}", {"banned": True}),
        "moderator": ("POST", f"/api/v1/moderation/members/{member.id}/ban", None),
    }[how]
    assert auth.client(how).open(path[1], method=path[0], json=path[2]).status_code == 200
    assert browser.get("/api/v1/me").status_code == 401
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401
    with app.app_context():
        assert db.session.scalar(sa.select(ApiToken.revoked_at).where(ApiToken.member_id == member.id)) is not None
    assert signed_in(app, member.email).get("/api/v1/me").get_json()["banned"] is True  # may sign in to read


def test_erasure_ends_every_session(app, auth):
    member = auth.member()
    browser, other = signed_in(app, member.email), signed_in(app, member.email)
    assert browser.delete("/api/v1/me").status_code == 204
    assert other.get("/api/v1/me").status_code == 401


def test_sessions_expire_after_their_lifetime(app, auth, monkeypatch):
    browser = auth.client("member")
    assert browser.get("/api/v1/me").status_code == 200
    monkeypatch.setitem(app.config, "SESSION_LIFETIME_DAYS", 0)
    assert browser.get("/api/v1/me").status_code == 401


def test_purge_deletes_only_expired_sessions(app, auth, monkeypatch):
    auth.client("member")
    with app.app_context():
        assert sessions.purge_expired_sessions() == 0
        monkeypatch.setitem(app.config, "SESSION_LIFETIME_DAYS", 0)
        assert sessions.purge_expired_sessions() == 1


def test_only_a_hash_of_the_session_key_is_stored(app, auth):
    member = auth.member()
    browser = signed_in(app, member.email)
    with browser.session_transaction() as cookie:
        key = cookie["sid"]
    with app.app_context():
        stored = db.session.scalar(sa.select(MemberSession.key_hash))
    assert key not in stored and len(stored) == 64


def test_a_forged_session_without_a_server_row_is_refused(app, auth):
    member = auth.member()
    forged = app.test_client()
    with forged.session_transaction() as cookie:
        cookie["_user_id"], cookie["_fresh"], cookie["sid"] = str(member.id), True, "made-up"
    assert forged.get("/api/v1/me").status_code == 401


# --- tokens never manage the account ---------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/me/tokens", {"name": "child", "scopes": ["read", "write"]}),
        ("DELETE", "/api/v1/me/tokens/{token_id}", None),
        ("PATCH", "/api/v1/me", {"email": "new@example.com", "current_password": PASSWORD}),
        ("PATCH", "/api/v1/me", {"password": "another long password", "current_password": PASSWORD}),
        ("DELETE", "/api/v1/me", None),
        ("POST", "/api/v1/auth/logout-all", None),
        ("POST", "/api/v1/auth/verify-email/request", None),
    ],
)
def test_a_token_cannot_manage_the_account(app, auth, method, path, body):
    member = auth.member(email_verified_at=None)
    headers = auth.token(member, scopes="read write")
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.member_id == member.id))
    response = app.test_client().open(path.format(token_id=token_id), method=method, json=body, headers=headers)
    assert response.status_code == 403
    assert "session" in response.get_json()["message"]
    with app.app_context():
        tokens = db.session.scalars(sa.select(ApiToken).where(ApiToken.member_id == member.id)).all()
        assert [(t.revoked_at, t.name) for t in tokens] == [(None, "script")]
    assert app.test_client().get("/api/v1/me", headers=headers).get_json()["email"] == member.email


def test_a_write_token_still_edits_the_profile(app, auth):
    headers = auth.token(auth.member(), scopes="read write")
    response = app.test_client().patch("/api/v1/me", json={"bio": "from a script"}, headers=headers)
    assert response.status_code == 200 and response.get_json()["bio"] == "from a script"


# --- CSRF and login timing --------------------------------------------------------------


def test_a_bogus_authorization_header_does_not_skip_the_csrf_check(auth):
    browser = auth.client("member")
    headers = {"Authorization": "Bearer plt_not-a-token", "Origin": "https://evil.example"}
    response = browser.patch("/api/v1/me", json={"bio": "pwned"}, headers=headers)
    assert response.status_code == 403
    assert browser.get("/api/v1/me").get_json()["bio"] is None


def test_basic_auth_beside_a_cookie_does_not_skip_the_csrf_check(auth):
    browser = auth.client("member")
    response = browser.patch("/api/v1/me", data="bio=pwned", auth=("anything", ""))
    assert response.status_code == 415


def test_a_real_token_beside_a_stale_cookie_passes(app, auth):
    member = auth.member()
    browser = signed_in(app, member.email)
    browser.post("/api/v1/auth/logout")
    headers = {**auth.token(member), "Origin": "https://script.example"}
    assert browser.patch("/api/v1/me", json={"bio": "script"}, headers=headers).status_code == 200


def count_verifications(monkeypatch) -> list:
    calls = []
    real = PasswordHasher.verify

    def counting(self, hash, password):
        calls.append(hash[:9])
        return real(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return calls


@pytest.mark.parametrize("who", ["unknown", "prospect", "erased"])
def test_a_login_does_the_same_work_whether_or_not_the_account_exists(client, auth, monkeypatch, who):
    known = auth.member(email="known@example.com")
    others = {
        "unknown": "nobody@example.com",
        "prospect": auth.member(email="lead@example.com", member_type="prospect", password_hash=None).email,
        "erased": auth.member(email="gone@example.com", erased_at=known.created_at).email,
    }
    calls = count_verifications(monkeypatch)
    assert client.post("/api/v1/auth/login", json={"email": known.email, "password": "wrong pw"}).status_code == 401
    assert client.post("/api/v1/auth/login", json={"email": others[who], "password": "wrong pw"}).status_code == 401
    assert calls == ["$argon2id", "$argon2id"]
