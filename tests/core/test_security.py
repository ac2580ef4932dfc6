"""Browser-facing protections: CORS, CSRF, security headers."""

import pytest

ALLOWED_ORIGIN = "https://app.brand.example"  # TestConfig.CORS_ORIGINS


def test_security_headers_on_api_responses(client):
    headers = client.get("/healthz").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_docs_page_gets_a_policy_that_lets_it_run_its_own_scripts(client):
    policy = client.get("/api/docs").headers["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline'" in policy and "default-src 'self'" in policy


def test_cors_preflight_allows_configured_origin_with_credentials(client):
    response = client.options(
        "/api/v1/me", headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "PATCH"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_cors_ignores_other_origins(client):
    response = client.options(
        "/api/v1/me", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "PATCH"}
    )
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("header", ["Origin", "Referer"])
def test_cookie_writes_from_foreign_origins_are_refused(auth, header):
    client = auth.client("member")
    response = client.patch("/api/v1/me", json={"bio": "pwned"}, headers={header: "https://evil.example/page"})
    assert response.status_code == 403
    assert client.get("/api/v1/me").get_json()["bio"] is None


def test_cookie_writes_from_allowed_origin_pass(auth):
    client = auth.client("member")
    response = client.patch("/api/v1/me", json={"bio": "hi"}, headers={"Origin": ALLOWED_ORIGIN})
    assert response.status_code == 200


def test_form_posts_are_refused_so_html_forms_cannot_forge_requests(auth):
    client = auth.client("member")
    response = client.patch("/api/v1/me", data={"bio": "pwned"})
    assert response.status_code == 415


def test_token_requests_skip_the_origin_check(auth, app):
    member = auth.member()
    headers = {**auth.token(member), "Origin": "https://anywhere.example"}
    assert app.test_client().patch("/api/v1/me", json={"bio": "from a script"}, headers=headers).status_code == 200


def test_session_cookie_is_httponly_and_samesite(client):
    response = client.post(
        "/api/v1/auth/signup", json={"email": "c@example.com", "password": "long enough pw", "display_name": "C"}
    )
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and "peerloop_session" in v)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
