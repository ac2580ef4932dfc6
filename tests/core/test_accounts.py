"""Sign-up, sign-in, profile, tokens and privacy through the HTTP API."""

import pytest
import sqlalchemy as sa

from core.accounts.models import ApiToken, Member
from core.extensions import db
from tests.factories import PASSWORD

SIGNUP = {"email": "Ada@Example.com", "password": "long enough pw", "display_name": "Ada"}


def test_signup_creates_member_and_signs_in(client):
    response = client.post("/api/v1/auth/signup", json=SIGNUP)
    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == "Ada@Example.com"
    assert body["roles"] == ["member"]
    assert body["member_type"] == "customer"
    assert "password" not in body and "password_hash" not in body
    assert client.get("/api/v1/me").get_json()["id"] == body["id"]


def test_password_is_stored_with_argon2(client, app):
    client.post("/api/v1/auth/signup", json=SIGNUP)
    with app.app_context():
        stored = db.session.scalar(sa.select(Member.password_hash))
    assert stored.startswith("$argon2id$") and SIGNUP["password"] not in stored


def test_signup_email_is_unique_case_insensitively(client):
    assert client.post("/api/v1/auth/signup", json=SIGNUP).status_code == 201
    again = client.post("/api/v1/auth/signup", json={**SIGNUP, "email": "ada@EXAMPLE.com"})
    assert again.status_code == 409
    assert "email" in again.get_json()["errors"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**SIGNUP, "email": "not-an-email"}, "email"),
        ({**SIGNUP, "password": "short"}, "password"),
        ({**SIGNUP, "display_name": ""}, "display_name"),
        ({k: v for k, v in SIGNUP.items() if k != "email"}, "email"),
        ({**SIGNUP, "referral_code": "bad code!"}, "referral_code"),
        ({**SIGNUP, "is_admin": True}, "is_admin"),
        ({**SIGNUP, "email": 5}, "email"),
    ],
)
def test_signup_rejects_bad_input_naming_the_field(client, payload, field):
    response = client.post("/api/v1/auth/signup", json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert client.get("/api/v1/me").status_code == 401


def test_login_and_logout(client, auth):
    member = auth.member(email="bo@example.com")
    response = client.post("/api/v1/auth/login", json={"email": "BO@example.com", "password": PASSWORD})
    assert response.status_code == 200
    assert response.get_json()["id"] == member.id
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("password", ["wrong password", ""])
def test_login_with_wrong_password_is_401(client, auth, password):
    auth.member(email="bo@example.com")
    response = client.post("/api/v1/auth/login", json={"email": "bo@example.com", "password": password})
    assert response.status_code == 401
    assert response.get_json()["message"] == "Email or password is wrong."


def test_login_unknown_email_gives_same_answer(client):
    response = client.post("/api/v1/auth/login", json={"email": "nobody@example.com", "password": "whatever123"})
    assert response.status_code == 401
    assert response.get_json()["message"] == "Email or password is wrong."


def test_patch_me_updates_profile(auth):
    client = auth.client("member")
    response = client.patch("/api/v1/me", json={"display_name": "  New Name ", "company": "Acme"})
    assert response.status_code == 200
    assert response.get_json()["display_name"] == "New Name"
    assert response.get_json()["company"] == "Acme"


def test_patch_me_cannot_grant_roles(auth):
    client = auth.client("member")
    response = client.patch("/api/v1/me", json={"roles": ["admin"]})
    assert response.status_code == 422
    assert "roles" in response.get_json()["errors"]


def test_changing_password_needs_current_password(auth, app):
    client = auth.client("member")
    refused = client.patch("/api/v1/me", json={"password": "brand new password"})
    assert refused.status_code == 422
    assert "current_password" in refused.get_json()["errors"]
    changed = client.patch("/api/v1/me", json={"password": "brand new password", "current_password": PASSWORD})
    assert changed.status_code == 200
    login = app.test_client().post(
        "/api/v1/auth/login", json={"email": client.member.email, "password": "brand new password"}
    )
    assert login.status_code == 200


def test_token_is_shown_once_stored_hashed_and_works(auth, app):
    client = auth.client("member")
    created = client.post("/api/v1/me/tokens", json={"name": "laptop", "scopes": ["read"]})
    assert created.status_code == 201
    body = created.get_json()
    assert body["token"].startswith("plt_") and body["scopes"] == ["read"]
    listed = client.get("/api/v1/me/tokens").get_json()
    assert [t["name"] for t in listed] == ["laptop"] and "token" not in listed[0]
    with app.app_context():
        stored = db.session.scalar(sa.select(ApiToken.token_hash))
        assert body["token"] not in stored and len(stored) == 64
    bearer = app.test_client()
    me = bearer.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.get_json()["id"] == client.member.id


def test_token_scopes_limit_what_it_can_do(auth, app):
    member = auth.member()
    read_only = auth.token(member, scopes="read")
    api = app.test_client()
    assert api.get("/api/v1/me", headers=read_only).status_code == 200
    refused = api.patch("/api/v1/me", json={"display_name": "x"}, headers=read_only)
    assert refused.status_code == 403
    assert "write" in refused.get_json()["message"]


def test_revoked_token_stops_working(auth, app):
    client = auth.client("member")
    token = client.post("/api/v1/me/tokens", json={"name": "ci"}).get_json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    assert client.delete(f"/api/v1/me/tokens/{token['id']}").status_code == 204
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401
    assert client.delete(f"/api/v1/me/tokens/{token['id']}").status_code == 404


def test_cannot_revoke_someone_elses_token(auth):
    owner = auth.client("member")
    token = owner.post("/api/v1/me/tokens", json={"name": "mine"}).get_json()
    assert auth.client("member").delete(f"/api/v1/me/tokens/{token['id']}").status_code == 404


def test_bad_bearer_token_is_401(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer plt_nope"})
    assert response.status_code == 401


@pytest.mark.parametrize("role", ["member", "sales", "moderator"])
def test_only_marketers_and_admins_create_ingest_tokens(auth, role):
    response = auth.client(role).post("/api/v1/me/tokens", json={"name": "segment", "scopes": ["ingest"]})
    assert response.status_code == 403
    assert "scopes" in response.get_json()["errors"]


@pytest.mark.parametrize("role", ["marketer", "admin"])
def test_marketers_and_admins_create_ingest_tokens(auth, role):
    response = auth.client(role).post("/api/v1/me/tokens", json={"name": "segment", "scopes": ["ingest"]})
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"scopes": ["read"]}, "name"),
        ({"name": "x", "scopes": ["root"]}, "scopes"),
        ({"name": "x", "scopes": []}, "scopes"),
    ],
)
def test_token_bad_input(auth, payload, field):
    response = auth.client("member").post("/api/v1/me/tokens", json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_export_contains_my_data(auth):
    client = auth.client("member", company="Acme")
    client.post("/api/v1/me/tokens", json={"name": "cli"})
    export = client.get("/api/v1/me/export").get_json()
    assert export["member"]["email"] == client.member.email
    assert export["member"]["company"] == "Acme"
    assert [t["name"] for t in export["tokens"]] == ["cli"]
    assert "token" not in export["tokens"][0]


def test_delete_me_erases_personal_data(auth, app):
    client = auth.client("member", company="Acme", display_name="Secret Name")
    token = client.post("/api/v1/me/tokens", json={"name": "cli"}).get_json()["token"]
    assert client.delete("/api/v1/me").status_code == 204
    assert client.get("/api/v1/me").status_code == 401
    with app.app_context():
        member = db.session.get(Member, client.member.id)
        assert member.email == f"erased-{member.id}@invalid"
        assert member.display_name == "Former member"
        assert member.company is None and member.password_hash is None
        assert member.content_erased_at is not None  # the background job ran (in-process here)
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    login = app.test_client().post("/api/v1/auth/login", json={"email": client.member.email, "password": PASSWORD})
    assert login.status_code == 401


def test_token_works_as_http_basic_username(auth, app):
    member = auth.member()
    bearer = auth.token(member, scopes="read")["Authorization"].removeprefix("Bearer ")
    response = app.test_client().get("/api/v1/me", auth=(bearer, ""))
    assert response.status_code == 200 and response.get_json()["id"] == member.id


def test_signup_is_rate_limited_with_retry_after(client, rate_limits, app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_SIGNUP", "2 per hour")
    for n in range(2):
        assert client.post("/api/v1/auth/signup", json={**SIGNUP, "email": f"r{n}@example.com"}).status_code == 201
    limited = client.post("/api/v1/auth/signup", json={**SIGNUP, "email": "r3@example.com"})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.get_json()["code"] == 429


def test_login_is_rate_limited(client, rate_limits, app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN", "3 per minute")
    codes = [
        client.post("/api/v1/auth/login", json={"email": "a@example.com", "password": "x" * 12}).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]


def test_signup_with_a_prospects_email_makes_a_new_account_until_verified(client, app):
    with app.app_context():
        from core.accounts import services

        prospect = services.create_member("pat@initech.com", None, "Pat (from CRM)", member_type="prospect")
        db.session.commit()
        prospect_id = prospect.id
    response = client.post(
        "/api/v1/auth/signup", json={"email": "Pat@Initech.com", "password": "long enough pw", "display_name": "Pat"}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["id"] != prospect_id  # the prospect's history waits for a verified address
    assert (body["member_type"], body["display_name"], body["email_verified"]) == ("customer", "Pat", False)
    again = client.post(
        "/api/v1/auth/signup", json={"email": "pat@initech.com", "password": "another password", "display_name": "X"}
    )
    assert again.status_code == 409


def test_erasure_clears_token_names(auth, app):
    client = auth.client("member")
    client.post("/api/v1/me/tokens", json={"name": "Work laptop of Ada Lovelace"})
    assert client.delete("/api/v1/me").status_code == 204
    with app.app_context():
        assert db.session.scalars(sa.select(ApiToken.name)).all() == ["[erased]"]


def test_prospect_profiles_cannot_sign_in_before_they_are_claimed(client, app):
    with app.app_context():
        from core.accounts import services

        services.create_member("lee@initech.com", None, "Lee", member_type="prospect")
        db.session.commit()
    response = client.post("/api/v1/auth/login", json={"email": "lee@initech.com", "password": "anything at all"})
    assert response.status_code == 401
