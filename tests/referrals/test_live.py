"""The referral scenario against a real gunicorn (two workers) and a real database."""

from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa

from core.caller import keyed_hash
from core.extensions import db
from referrals.models import MODELS, Click, Conversion, Credit, Touch
from tests.conftest import gunicorn, service_env
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


def assert_no_raw_ip_stored(app, address: str, clicks: int = 10) -> None:
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Click.id))) >= clicks
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, sa.String | sa.Text | sa.JSON):
                    text = sa.cast(column, sa.Text)
                    hits = db.session.scalar(
                        sa.select(sa.func.count()).select_from(table).where(text.contains(address))
                    )
                    assert hits == 0, f"{address} found in {table.name}.{column.name}"


@pytest.fixture(scope="module")
def proxied_server(app, database_uri):
    """gunicorn behind one (trusted) reverse proxy."""
    with gunicorn(service_env(database_uri, TRUSTED_PROXY_COUNT="1")) as url:
        yield url


def from_address(address: str) -> requests.Session:
    """A browser at `address`, reaching gunicorn through the proxy, which appends what it saw."""
    session = browser()
    session.headers["X-Forwarded-For"] = address
    return session


def referral_code(session, base) -> str:
    return session.get(f"{base}/api/v1/me/referral-link", timeout=10).json()["code"]


def referred_signups(base, app, auth, addresses: dict) -> tuple[dict, dict]:
    """Ann and Ben sign up from home; four people follow their links and sign up, each from their own
    address. Returns the last-touch report by referrer and the referrers' ids."""
    ann, ben = from_address(addresses["ann"]), from_address(addresses["ben"])
    referrers = {"ann": sign_up(ann, base, "ann@example.com"), "ben": sign_up(ben, base, "ben@example.com")}
    codes = {"ann": referral_code(ann, base), "ben": referral_code(ben, base)}
    for n, (referrer, address) in enumerate([("ann", "a1"), ("ann", "a2"), ("ann", "a3"), ("ben", "b1")]):
        visitor = from_address(addresses[address])
        follow(visitor, base, codes[referrer])
        sign_up(visitor, base, f"friend{n}@example.org")
    marketer = auth.token(auth.member("marketer"), scopes="read")
    return report(base, marketer, model="last_touch", group_by="referrer"), referrers


HOMES = {"ann": "203.0.113.1", "ben": "203.0.113.2", "a1": "198.51.100.1", "a2": "198.51.100.2",
         "a3": "198.51.100.3", "b1": "198.51.100.4"}  # fmt: skip


def test_behind_one_proxy_each_referrer_is_credited_for_their_friends(proxied_server, app, auth):
    rows, referrers = referred_signups(proxied_server, app, auth, HOMES)
    assert rows[str(referrers["ann"])]["signups"] == 3.0
    assert rows[str(referrers["ben"])]["signups"] == 1.0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(Conversion.flagged.is_(True))) == 0
        hashes = set(db.session.scalars(sa.select(Click.ip_hash)))
        assert hashes == {keyed_hash(HOMES[name], "click-ip") for name in ("a1", "a2", "a3", "b1")}
    for address in HOMES.values():
        assert_no_raw_ip_stored(app, address, clicks=4)


def test_without_trusted_proxies_a_forged_forwarded_for_is_ignored(live_server, app, auth):
    rows, referrers = referred_signups(live_server, app, auth, HOMES)  # the headers are forged here
    assert all(rows.get(str(member_id), {"signups": 0.0})["signups"] == 0.0 for member_id in referrers.values())
    with app.app_context():
        reasons = db.session.scalars(sa.select(Conversion.flag_reasons).where(Conversion.kind == "signup"))
        assert all("self_referral" in (reason or "") for reason in reasons)  # all really from 127.0.0.1
        assert set(db.session.scalars(sa.select(Click.ip_hash))) == {keyed_hash("127.0.0.1", "click-ip")}
