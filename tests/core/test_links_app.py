"""The lean links app behind the WSGI dispatcher serves /r/<code>; the main app serves the rest."""

import pytest
import sqlalchemy as sa
from werkzeug.test import Client

from config import TestConfig
from core.app import HotPathDispatcher, create_links_app
from core.extensions import db
from referrals.models import Click
from tests.referrals.conftest import drain_spool


@pytest.fixture(scope="session")
def service(app, database_uri):
    """What gunicorn serves as `wsgi:app`."""
    links = create_links_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=database_uri,
        REFERRAL_CLICK_SPOOL_DIR=app.config["REFERRAL_CLICK_SPOOL_DIR"],
    )
    return Client(HotPathDispatcher(app, links))


def test_referral_links_are_served_by_the_links_app(service, auth, app):
    member = auth.member()
    response = service.get(f"/r/{member.referral_code}?utm_source=newsletter")
    assert response.status_code == 302
    assert response.headers["Location"] == "http://peerloop.test/?utm_source=newsletter"
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("plvid=") for c in cookies)
    assert not any("peerloop_session" in c for c in cookies)
    assert response.headers["X-Content-Type-Options"] == "nosniff" and response.headers["X-Request-ID"]
    drain_spool(app)  # the links app spooled the click; the main app stores the same spool
    with app.app_context():
        clicks = db.session.execute(sa.select(Click.referrer_id, Click.utm_source)).all()
    assert clicks == [(member.id, "newsletter")]


def test_unknown_code_is_a_json_404_from_the_links_app(service):
    response = service.get("/r/nosuchcode")
    assert response.status_code == 404
    assert response.get_json()["code"] == 404 and response.get_json()["request_id"]


def test_everything_else_goes_to_the_main_app(service):
    assert service.get("/api/v1/me").status_code == 401
    assert service.get("/healthz").get_json()["database"] == "ok"
