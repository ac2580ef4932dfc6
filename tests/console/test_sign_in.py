"""Signing in and out through the console, CSRF on its forms, and its headers."""

from __future__ import annotations

import pytest

from tests.console.conftest import csrf_token, post_form
from tests.factories import PASSWORD


def sign_in(client, email: str, password: str = PASSWORD, **extra):
    return post_form(client, "/console/sign-in", {"email": email, "password": password, **extra})


def test_anonymous_pages_redirect_to_sign_in_and_back(auth, client):
    seller = auth.member("sales")
    response = client.get("/console/leads?stage=mql")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/sign-in?next=/console/leads?stage%3Dmql"
    signed_in = sign_in(client, seller.email, next="/console/leads?stage=mql")
    assert signed_in.status_code == 303
    assert signed_in.headers["Location"] == "/console/leads?stage=mql"
    assert client.get("/console/leads?stage=mql").status_code == 200


def test_the_console_session_is_the_api_session(auth, client):
    seller = auth.member("sales")
    sign_in(client, seller.email)
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.get_json()["id"] == seller.id
    out = post_form(client, "/console/sign-out")
    assert (out.status_code, out.headers["Location"]) == (303, "/console/sign-in")
    assert client.get("/api/v1/me").status_code == 401
    assert "You are signed out." in client.get("/console/sign-in").get_data(as_text=True)


def test_signing_out_of_the_console_ends_the_session_on_the_server(auth, app, client):
    seller = auth.member("sales")
    sign_in(client, seller.email)
    saved = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    post_form(client, "/console/sign-out")
    replay = app.test_client()
    replay.set_cookie(app.config["SESSION_COOKIE_NAME"], saved)
    assert replay.get("/api/v1/me").status_code == 401
    assert replay.get("/console/leads").status_code == 302


def test_a_wrong_password_is_401_on_the_form(auth, client):
    seller = auth.member("sales")
    response = sign_in(client, seller.email, "not the password")
    assert response.status_code == 401
    assert "Email or password is wrong." in response.get_data(as_text=True)
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize(
    ("form", "message"),
    [({"email": "not an email", "password": "x"}, "Not a valid email address."), ({"email": "a@b.io"}, "required")],
)
def test_invalid_sign_in_input_is_422_naming_the_field(client, form, message):
    response = post_form(client, "/console/sign-in", form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/console/",
        "//evil.example/console/",
        "/\\evil.example",
        "https:evil.example",
        "/console/..//evil.example",
        "/console/%2e%2e//evil.example",
        "/api/v1/me",
        "/console/leads\r\nSet-Cookie: stolen=1",
    ],
)
def test_sign_in_only_returns_to_console_pages(auth, client, target):
    seller = auth.member("sales")
    response = sign_in(client, seller.email, next=target)
    assert (response.status_code, response.headers["Location"]) == (303, "/console/")
    signed_in = client.get("/console/sign-in", query_string={"next": target})
    assert (signed_in.status_code, signed_in.headers["Location"]) == (302, "/console/")


def test_members_without_a_staff_role_are_sent_away(auth, client):
    member = auth.member("member")
    sign_in(client, member.email)
    response = client.get("/console/leads", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/console/sign-in"
    assert "The console is for staff" in page and "who has no staff role" in page


def test_staff_land_on_the_first_page_of_their_role(auth):
    assert auth.client("moderator").get("/console/").headers["Location"] == "/console/moderation"
    assert auth.client("marketer").get("/console/").headers["Location"] == "/console/leads"
    assert auth.client("sales").get("/console/sign-in").headers["Location"] == "/console/"


def test_navigation_lists_only_the_pages_a_role_opens(auth):
    links = lambda role: auth.client(role).get("/console/", follow_redirects=True).get_data(as_text=True)  # noqa: E731
    sales, moderator, admin = links("sales"), links("moderator"), links("admin")
    assert 'href="/console/leads"' in sales and 'href="/console/attribution"' not in sales
    assert 'href="/console/moderation"' in moderator and 'href="/console/leads"' not in moderator
    for path in ("/console/leads", "/console/accounts", "/console/attribution", "/console/moderation"):
        assert f'href="{path}"' in admin


def test_forms_without_the_csrf_token_are_refused(auth, client):
    seller = auth.member("sales")
    response = client.post("/console/sign-in", data={"email": seller.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    signed_in = auth.client("sales")
    forged = signed_in.post("/console/sign-out", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert signed_in.get("/api/v1/me").status_code == 200


def test_a_token_from_another_session_is_refused(auth):
    alice, bob = auth.client("sales"), auth.client("sales")
    response = bob.post("/console/sign-out", data={"csrf_token": csrf_token(alice)})
    assert response.status_code == 400


def test_the_api_keeps_its_own_csrf_rules(auth, client):
    seller = auth.member("sales")
    form = client.post("/api/v1/auth/login", data={"email": seller.email, "password": PASSWORD})
    assert form.status_code == 415
    json = client.post("/api/v1/auth/login", json={"email": seller.email, "password": PASSWORD})
    assert json.status_code == 200
    other_site = client.post("/console/sign-out", headers={"Origin": "https://evil.example"})
    assert other_site.status_code == 403


def test_api_tokens_do_not_open_console_pages(auth, client):
    headers = auth.token(auth.member("sales"))
    assert client.get("/api/v1/leads", headers=headers).status_code == 200
    response = client.get("/console/leads", headers=headers)
    assert response.status_code == 302 and response.headers["Location"].startswith("/console/sign-in")


def test_pages_carry_a_strict_policy_and_are_not_cached(auth):
    response = auth.client("sales").get("/console/leads")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "style-src 'self'" in policy and "unsafe" not in policy
    assert "script-src" not in policy  # the console runs no script at all
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert 'href="/console/static/console.css"' in response.get_data(as_text=True)


def test_assets_are_served_by_peerloop_itself(auth, client):
    page = auth.client("sales").get("/console/leads").get_data(as_text=True)
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    css = client.get("/console/static/console.css")
    assert css.status_code == 200 and "text/css" in css.content_type
    assert "url(" not in css.get_data(as_text=True)  # no font or image fetched from anywhere
    css.close()


def test_sign_in_is_rate_limited_like_the_api_login(auth, client, rate_limits):
    seller = auth.member("sales")
    for _ in range(10):
        assert sign_in(client, seller.email, "wrong password").status_code == 401
    limited = sign_in(client, seller.email)
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert "text/html" in limited.content_type


def test_the_console_and_the_api_share_one_sign_in_budget(auth, client, rate_limits):
    """Guessing passwords through both forms gets no more tries than through one."""
    seller = auth.member("sales")
    for _ in range(10):
        wrong = client.post("/api/v1/auth/login", json={"email": seller.email, "password": "wrong password"})
        assert wrong.status_code == 401
    limited = sign_in(client, seller.email)
    assert limited.status_code == 429
    assert client.get("/api/v1/me").status_code == 401
