"""Helpers shared by the referral tests."""

import pytest

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
