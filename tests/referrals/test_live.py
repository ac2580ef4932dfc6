"""The referral scenario against a real gunicorn (two workers) and a real database."""

from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa

from core.extensions import db
from referrals.models import MODELS, Click, Conversion, Credit, Touch
from tests.conftest import wait_until
from tests.referrals.conftest import BOT, BROWSER

pytestmark = pytest.mark.live
HALF_LIFE_SECONDS = 7 * 86400


def browser(user_agent=BROWSER) -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = user_agent
    return session


def follow(session, base, code, query="") -> requests.Response:
    response = session.get(f"{base}/r/{code}{query}", allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    return response


def sign_up(session, base, email) -> int:
    payload = {"email": email, "password": "long enough pw", "display_name": email.split("@")[0]}
    response = session.post(f"{base}/api/v1/auth/signup", json=payload, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def stored_credit(app, member_id) -> dict:
    """{model: [(referrer_id, share)]} of the member's signup, touches oldest first; and the touch times."""
    with app.app_context():
        conversion = db.session.scalar(
            sa.select(Conversion).where(Conversion.member_id == member_id, Conversion.kind == "signup")
        )
        rows = db.session.execute(
            sa.select(Credit.model, Touch.referrer_id, Credit.share, Touch.occurred_at)
            .join(Touch, Touch.id == Credit.touch_id)
            .where(Credit.conversion_id == conversion.id, Credit.window_days == 30)
            .order_by(Touch.position)
        ).all()
    credit: dict = {}
    for model, referrer_id, share, _ in rows:
        credit.setdefault(model, []).append((referrer_id, share))
    return {"credit": credit, "times": [r[3] for r in rows if r[0] == "linear"], "conversion": conversion}


def report(base, headers, **query):
    response = requests.get(f"{base}/api/v1/referrals/attribution", params=query, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return {item["key"]: item for item in response.json()["items"]}


def test_referral_scenario(live_server, app, auth):
    ann, ben, cat = auth.member(display_name="Ann"), auth.member(display_name="Ben"), auth.member(display_name="Cat")
    marketer = auth.token(auth.member("marketer"), scopes="read")

    one = browser()
    follow(one, live_server, ann.referral_code)
    assert one.cookies.get("plvid")
    single = sign_up(one, live_server, "single@example.com")

    two = browser()
    follow(two, live_server, ben.referral_code, "?utm_source=newsletter")
    follow(two, live_server, cat.referral_code)
    double = sign_up(two, live_server, "double@example.com")

    # A member clicks their own link in the same browser and signs up again under an alias.
    three = browser()
    follow(three, live_server, ann.referral_code)
    xavier = sign_up(three, live_server, "x.avier@gmail.com")
    xavier_code = three.get(f"{live_server}/api/v1/me/referral-link", timeout=10).json()["code"]
    three.post(f"{live_server}/api/v1/auth/logout", timeout=10)
    follow(three, live_server, xavier_code)
    self_referred = sign_up(three, live_server, "xavier+again@googlemail.com")

    bot = browser(BOT)
    follow(bot, live_server, ben.referral_code)
    bot_signup = sign_up(bot, live_server, "crawler@example.com")

    # One touch: everything to Ann under every model.
    assert stored_credit(app, single)["credit"] == {model: [(ann.id, 1_000_000)] for model in MODELS}

    # Two touches from different referrers: each model exactly as defined.
    stored = stored_credit(app, double)
    credit = stored["credit"]
    assert credit["first_touch"] == [(ben.id, 1_000_000), (cat.id, 0)]
    assert credit["last_touch"] == [(ben.id, 0), (cat.id, 1_000_000)]
    assert credit["linear"] == [(ben.id, 500_000), (cat.id, 500_000)]
    assert credit["position_based"] == [(ben.id, 500_000), (cat.id, 500_000)]
    converted = stored["conversion"].occurred_at
    weights = [2 ** (-(converted - t).total_seconds() / HALF_LIFE_SECONDS) for t in stored["times"]]
    expected = [w / sum(weights) * 1_000_000 for w in weights]
    decay = [share for _, share in credit["time_decay"]]
    assert sum(decay) == 1_000_000 and all(abs(a - b) <= 1 for a, b in zip(decay, expected, strict=True))

    # Self-referral and bot clicks are flagged, and excluded from credit unless asked for.
    assert not stored_credit(app, xavier)["conversion"].flagged
    assert "self_referral" in stored_credit(app, self_referred)["conversion"].reasons
    assert stored_credit(app, bot_signup)["conversion"].reasons == ["bot_user_agent"]
    last_touch = report(live_server, marketer, model="last_touch", group_by="referrer")
    assert last_touch[str(ann.id)]["signups"] == 2.0  # single and xavier
    assert last_touch[str(ben.id)]["signups"] == 0.0 and last_touch[str(cat.id)]["signups"] == 1.0
    assert str(xavier) not in last_touch or last_touch[str(xavier)]["signups"] == 0.0
    with_flagged = report(live_server, marketer, model="last_touch", group_by="referrer", include_flagged="true")
    assert with_flagged[str(ben.id)]["signups"] == 1.0 and with_flagged[str(xavier)]["signups"] == 1.0
    linear = report(live_server, marketer, model="linear", group_by="referrer")
    assert (linear[str(ben.id)]["signups"], linear[str(cat.id)]["signups"]) == (0.5, 0.5)
    flags = requests.get(f"{live_server}/api/v1/referrals/flags", headers=marketer, timeout=10).json()["items"]
    assert {flag["member"]["id"] for flag in flags} == {self_referred, bot_signup}

    # No parameter sends a visitor to another host.
    for query in ("?content=//evil.com", "?c=https://evil.com", "?next=https://evil.com", "?content=%5C%5Cevil.com"):
        location = follow(browser(), live_server, ann.referral_code, query).headers["Location"]
        assert urlsplit(location).hostname == "peerloop.test"
    assert requests.get(f"{live_server}/r/nosuchcode00", allow_redirects=False, timeout=10).status_code == 404

    assert_no_raw_ip_stored(app, "127.0.0.1")


def stored_clicks(app) -> int:
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Click.hits), 0)))
        db.session.remove()
        return count


def assert_no_raw_ip_stored(app, address: str) -> None:
    wait_until(lambda: stored_clicks(app) >= 10)  # the servers' drainers store the last redirects
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, sa.String | sa.Text | sa.JSON):
                    text = sa.cast(column, sa.Text)
                    hits = db.session.scalar(
                        sa.select(sa.func.count()).select_from(table).where(text.contains(address))
                    )
                    assert hits == 0, f"{address} found in {table.name}.{column.name}"
