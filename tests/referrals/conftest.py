"""Helpers shared by the referral tests."""

import pytest

from core.extensions import db
from referrals.services.draining import drain_pending

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.fixture
def visitor(app):
    """A browser (test client) with its own address and user agent, following referral links."""

    def make(address: str = "203.0.113.7", user_agent: str = BROWSER):
        client = app.test_client()
        client.environ_base.update(REMOTE_ADDR=address, HTTP_USER_AGENT=user_agent)
        return client

    return make


def drain_spool(app) -> int:
    """Store what the redirects spooled so far: tests drain when they choose, never on a timer."""
    with app.app_context():
        stored = drain_pending()
        db.session.commit()
        return stored
