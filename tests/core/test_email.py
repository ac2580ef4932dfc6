"""Email: verification at signup and on email change, password reset, and the mail backends."""

import hashlib
import time

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from core.accounts.models import MailToken, Member
from core.app import create_app
from core.extensions import db
from tests.conftest import free_port
from tests.factories import PASSWORD

ACCEPTED = "If an account has this address, a link is on its way."
SIGNUP = {"email": "Ada@Example.com", "password": "long enough pw", "display_name": "Ada"}


def test_signup_mails_a_verification_link_and_the_link_verifies(client, mailbox):
    assert client.post("/api/v1/auth/signup", json=SIGNUP).status_code == 201
    assert client.get("/api/v1/me").get_json()["email_verified"] is False
    [mail] = mailbox.to("Ada@Example.com")
    assert mail["Subject"] == "Confirm your email address"
    assert "http://peerloop.test/verify-email?token=" in mail.get_payload(decode=True).decode()
    token = mailbox.link("Ada@Example.com", "verify-email")
    assert client.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 204
    assert client.get("/api/v1/me").get_json()["email_verified"] is True


def test_a_verification_link_works_once_and_is_stored_hashed(app, client, mailbox):
    client.post("/api/v1/auth/signup", json=SIGNUP)
    token = mailbox.link("Ada@Example.com", "verify-email")
    with app.app_context():
        stored = db.session.scalar(sa.select(MailToken.token_hash))
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert app.test_client().post("/api/v1/auth/verify-email", json={"token": token}).status_code == 204
    again = app.test_client().post("/api/v1/auth/verify-email", json={"token": token})
    assert again.status_code == 422 and "token" in again.get_json()["errors"]


def test_an_expired_verification_link_is_refused(app, client, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "EMAIL_VERIFICATION_HOURS", 0)
    client.post("/api/v1/auth/signup", json=SIGNUP)
    response = client.post("/api/v1/auth/verify-email", json={"token": mailbox.link("Ada@Example.com", "verify-email")})
    assert response.status_code == 422
    assert client.get("/api/v1/me").get_json()["email_verified"] is False


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("verify-email", {"token": "made-up"}, "token"),
        ("verify-email", {}, "token"),
        ("verify-email", {"token": "x" * 201}, "token"),
        ("password-reset", {"token": "made-up", "password": "long enough pw"}, "token"),
        ("password-reset", {"token": "made-up", "password": "short"}, "password"),
        ("password-reset/request", {"email": "not an email"}, "email"),
        ("password-reset/request", {"email": "a@example.com", "extra": 1}, "extra"),
    ],
)
def test_bad_input_names_the_field(client, path, body, field):
    response = client.post(f"/api/v1/auth/{path}", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_changing_email_needs_the_current_password_and_a_new_verification(auth, mailbox):
    browser = auth.client("member", email="old@example.com")
    refused = browser.patch("/api/v1/me", json={"email": "new@example.com"})
    assert refused.status_code == 422 and "current_password" in refused.get_json()["errors"]
    changed = browser.patch("/api/v1/me", json={"email": "new@example.com", "current_password": PASSWORD})
    assert changed.status_code == 200
    assert (changed.get_json()["email"], changed.get_json()["email_verified"]) == ("new@example.com", False)
    token = mailbox.link("new@example.com", "verify-email")
    assert browser.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 204
    assert browser.get("/api/v1/me").get_json()["email_verified"] is True


def test_a_link_for_a_previous_address_no_longer_verifies(auth, mailbox):
    browser = auth.client("member", email="first@example.com", email_verified_at=None)
    assert browser.post("/api/v1/auth/verify-email/request").status_code == 202
    old_link = mailbox.link("first@example.com", "verify-email")
    browser.patch("/api/v1/me", json={"email": "second@example.com", "current_password": PASSWORD})
    assert browser.post("/api/v1/auth/verify-email", json={"token": old_link}).status_code == 422
    assert browser.get("/api/v1/me").get_json()["email_verified"] is False


def test_changing_to_a_taken_email_is_a_conflict(auth):
    auth.member(email="taken@example.com")
    browser = auth.client("member")
    response = browser.patch("/api/v1/me", json={"email": "Taken@example.com", "current_password": PASSWORD})
    assert response.status_code == 409 and "email" in response.get_json()["errors"]


def test_asking_again_for_a_verified_address_is_a_conflict(auth):
    response = auth.client("member").post("/api/v1/auth/verify-email/request")
    assert response.status_code == 409 and "email" in response.get_json()["errors"]


def test_password_reset_request_answers_202_either_way_and_mails_only_members(auth, client, mailbox):
    auth.member(email="bo@example.com")
    auth.member(email="lead@example.com", member_type="prospect", password_hash=None)
    for email in ("bo@example.com", "nobody@example.com", "lead@example.com"):
        response = client.post("/api/v1/auth/password-reset/request", json={"email": email})
        assert (response.status_code, response.get_json()) == (202, {"message": ACCEPTED})
    assert [m["To"] for m in mailbox.messages()] == ["bo@example.com"]


def test_password_reset_sets_the_password_ends_sessions_and_verifies(app, auth, client, mailbox):
    member = auth.member(email="bo@example.com", email_verified_at=None)
    browser = auth.client(member)
    client.post("/api/v1/auth/password-reset/request", json={"email": "BO@example.com"})
    token = mailbox.link("bo@example.com", "reset-password")
    assert "http://peerloop.test/reset-password?token=" in mailbox.messages()[0].get_payload(decode=True).decode()
    reset = client.post("/api/v1/auth/password-reset", json={"token": token, "password": "a fresh password"})
    assert reset.status_code == 204
    assert browser.get("/api/v1/me").status_code == 401
    login = app.test_client().post(
        "/api/v1/auth/login", json={"email": "bo@example.com", "password": "a fresh password"}
    )
    assert login.status_code == 200 and login.get_json()["email_verified"] is True
    again = client.post("/api/v1/auth/password-reset", json={"token": token, "password": "yet another one"})
    assert again.status_code == 422 and "token" in again.get_json()["errors"]


def test_an_expired_reset_link_changes_nothing(app, auth, client, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MINUTES", 0)
    auth.member(email="bo@example.com")
    client.post("/api/v1/auth/password-reset/request", json={"email": "bo@example.com"})
    token = mailbox.link("bo@example.com", "reset-password")
    assert (
        client.post("/api/v1/auth/password-reset", json={"token": token, "password": "a fresh password"}).status_code
        == 422
    )
    login = client.post("/api/v1/auth/login", json={"email": "bo@example.com", "password": PASSWORD})
    assert login.status_code == 200


def test_reset_requests_are_rate_limited_per_address_mailed(app, auth, rate_limits, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_MAIL_REQUEST", "2 per hour")
    auth.member(email="bo@example.com")
    codes = []
    for n in range(3):  # three different clients, one inbox
        client = app.test_client()
        env = {"REMOTE_ADDR": f"10.0.0.{n + 1}"}
        codes.append(
            client.post("/api/v1/auth/password-reset/request", json={"email": "bo@example.com"}, environ_base=env)
        )
    assert [r.status_code for r in codes] == [202, 202, 429]
    assert int(codes[-1].headers["Retry-After"]) > 0


def test_reset_requests_are_rate_limited_per_client(client, app, rate_limits, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_MAIL_REQUEST", "2 per hour")
    codes = [
        client.post("/api/v1/auth/password-reset/request", json={"email": f"n{n}@example.com"}).status_code
        for n in range(3)
    ]
    assert codes == [202, 202, 429]


def test_no_mail_leaves_when_the_request_rolls_back(client, mailbox):
    assert client.post("/api/v1/auth/signup", json={**SIGNUP, "referral_code": "x"}).status_code == 422
    assert mailbox.messages() == []


def test_the_mail_is_sent_by_the_task_after_commit(app, client, mailbox, monkeypatch):
    """The request only enqueues by task name; the task (run in-process here) mails."""
    sent = []
    real = app.extensions["celery"].signature
    monkeypatch.setattr(app.extensions["celery"], "signature", lambda name, **kw: sent.append(name) or real(name, **kw))
    client.post("/api/v1/auth/password-reset/request", json={"email": "nobody@example.com"})
    client.post("/api/v1/auth/signup", json=SIGNUP)
    assert [name for name in sent if name.endswith("_mail")] == ["core.send_verification_mail"]
    assert len(mailbox.messages()) == 1


# --- backends ---------------------------------------------------------------------------


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.received = []

    def handle_message(self, message):
        self.received.append(message)


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on 127.0.0.1."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def test_the_smtp_backend_delivers_to_a_real_server(app, auth, client, smtp_server, monkeypatch):
    controller, inbox = smtp_server
    for key, value in {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": controller.port}.items():
        monkeypatch.setitem(app.config, key, value)
    auth.member(email="bo@example.com")
    assert client.post("/api/v1/auth/password-reset/request", json={"email": "bo@example.com"}).status_code == 202
    deadline = time.monotonic() + 5
    while not inbox.received and time.monotonic() < deadline:
        time.sleep(0.05)
    [mail] = inbox.received
    assert mail["To"] == "bo@example.com" and mail["From"] == "Peerloop <no-reply@peerloop.test>"
    body = mail.get_payload(decode=True).decode()
    token = body.split("reset-password?token=")[1].split()[0]
    assert (
        client.post("/api/v1/auth/password-reset", json={"token": token, "password": "via smtp now"}).status_code == 204
    )


def test_the_console_backend_prints_the_mail(app, client, capsys, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "console")
    client.post("/api/v1/auth/signup", json=SIGNUP)
    printed = capsys.readouterr().out
    assert "To: Ada@Example.com" in printed and "verify-email?token=" in printed


def test_an_unknown_mail_backend_refuses_to_start():
    from config import TestConfig

    with pytest.raises(RuntimeError, match="MAIL_BACKEND"):
        create_app(TestConfig, MAIL_BACKEND="pigeon")


def test_a_mail_server_that_is_down_fails_the_task_for_a_retry_and_leaves_no_token(app, auth, monkeypatch):
    from core.accounts import tasks

    port = free_port()  # nothing listens there
    for key, value in {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port}.items():
        monkeypatch.setitem(app.config, key, value)
    member = auth.member(email_verified_at=None)
    assert OSError in tasks.send_verification_mail.autoretry_for
    with pytest.raises(OSError):
        tasks.send_verification_mail(member.id)  # called directly, a retry re-raises the error
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MailToken)) == 0


def test_erasure_forgets_mail_tokens(app, auth, mailbox):
    browser = auth.client("member", email_verified_at=None)
    browser.post("/api/v1/auth/verify-email/request")
    token = mailbox.link(browser.member.email, "verify-email")
    browser.delete("/api/v1/me")
    assert app.test_client().post("/api/v1/auth/verify-email", json={"token": token}).status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MailToken)) == 0
        assert db.session.get(Member, browser.member.id).email_verified_at is None


@pytest.mark.parametrize("body", [[1], {"email": 5}, "text"])
def test_odd_bodies_to_a_rate_limited_mail_request_are_a_4xx(client, rate_limits, body):
    response = client.post("/api/v1/auth/password-reset/request", json=body)
    assert response.status_code in (400, 422)


def test_mail_tasks_do_nothing_when_there_is_nothing_to_mail(app, auth, mailbox):
    from core.accounts import tasks

    verified = auth.member()
    prospect = auth.member(member_type="prospect", password_hash=None)
    tasks.send_verification_mail(verified.id)
    tasks.send_password_reset_mail(prospect.id)
    tasks.send_password_reset_mail(999999)
    assert mailbox.messages() == []


def test_the_purge_task_deletes_expired_sessions(app, auth, monkeypatch):
    from core.accounts import tasks

    browser = auth.client("member")
    monkeypatch.setitem(app.config, "SESSION_LIFETIME_DAYS", 0)
    tasks.purge_expired_sessions()
    monkeypatch.setitem(app.config, "SESSION_LIFETIME_DAYS", 30)
    assert browser.get("/api/v1/me").status_code == 401
