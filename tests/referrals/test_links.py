"""GET /r/<code>: the click it records, the cookie it sets and where it may send a visitor."""

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.caller import keyed_hash
from core.extensions import db
from referrals.models import Click
from referrals.services import clicks as clicks_service
from referrals.services.clicks import UTM_KEYS
from referrals.services.spool import spool_files
from tests.referrals.conftest import BOT, drain_spool
from tests.referrals.factories import CampaignFactory

SITE = "http://peerloop.test"


@pytest.fixture
def referrer(auth):
    return auth.member(display_name="Rita Referrer")


@pytest.fixture
def campaign(app, auth):
    with app.app_context():
        campaign = CampaignFactory(slug="spring", landing_url="https://brand.example/spring?ref=peerloop")
        db.session.commit()
        return campaign.id


def clicks(app) -> list[Click]:
    drain_spool(app)
    with app.app_context():
        return list(db.session.scalars(sa.select(Click).order_by(Click.id)))


def test_link_redirects_home_and_records_the_click(app, visitor, referrer):
    response = visitor().get(f"/r/{referrer.referral_code}", headers={"Referer": "https://social.example/p/1?u=me"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{SITE}/"
    [click] = clicks(app)
    assert click.referrer_id == referrer.id and click.code == referrer.referral_code
    assert click.channel == "link" and click.campaign_id is None
    assert click.referring_host == "social.example"
    assert click.ua_class == "browser"
    with app.app_context():
        assert click.ip_hash == keyed_hash("203.0.113.7", "click-ip")
    assert "203.0.113.7" not in repr(vars(click))


def test_visitor_cookie_is_set_once_and_reused(app, visitor, referrer):
    browser = visitor()
    first = browser.get(f"/r/{referrer.referral_code}")
    cookie = first.headers["Set-Cookie"]
    assert cookie.startswith("plvid=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age" in cookie
    browser.get(f"/r/{referrer.referral_code}")
    first_visit, second_visit = clicks(app)
    assert first_visit.visitor_id == second_visit.visitor_id == browser.get_cookie("plvid").value


def test_a_forged_visitor_cookie_is_replaced(app, visitor, referrer):
    browser = visitor()
    browser.set_cookie("plvid", "<script>")
    browser.get(f"/r/{referrer.referral_code}")
    [click] = clicks(app)
    assert click.visitor_id != "<script>" and len(click.visitor_id) >= 16


def test_the_link_writes_no_session_cookie(visitor, referrer):
    response = visitor().get(f"/r/{referrer.referral_code}")
    assert "peerloop_session" not in " ".join(response.headers.getlist("Set-Cookie"))
    assert response.headers["Cache-Control"] == "no-store"


def test_cookie_is_secure_when_sessions_are(app, visitor, referrer, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    response = visitor().get(f"/r/{referrer.referral_code}")
    assert "Secure" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("code", ["unknown0000", "x", "a" * 40, "bad code!", "%00"])
def test_unknown_code_is_404_and_records_nothing(app, visitor, code):
    response = visitor().get(f"/r/{code}")
    assert response.status_code == 404
    assert response.get_json()["code"] == 404
    assert clicks(app) == []


def test_erased_members_links_are_gone(app, visitor, auth):
    member = auth.member()
    auth.client(member).delete("/api/v1/me")
    assert visitor().get(f"/r/{member.referral_code}").status_code == 404


def test_campaign_link_goes_to_the_landing_page_with_utm(app, visitor, referrer, campaign):
    response = visitor().get(f"/r/{referrer.referral_code}?c=spring&utm_content=banner&utm_source=newsletter")
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "brand.example", "/spring")
    query = parse_qs(location.query)
    assert query["ref"] == ["peerloop"]
    assert query["utm_source"] == ["newsletter"]  # the link's own value wins over the campaign's default
    assert query["utm_medium"] == ["referral"] and query["utm_campaign"] == ["spring"]
    assert query["utm_content"] == ["banner"]
    [click] = clicks(app)
    assert click.campaign_id == campaign and click.channel == "campaign"
    assert (click.utm_source, click.utm_medium, click.utm_content) == ("newsletter", "referral", "banner")


def test_unknown_or_inactive_campaign_still_counts_the_click(app, visitor, referrer, campaign):
    with app.app_context():
        db.session.execute(sa.text("UPDATE referral_campaigns SET active = false"))
        db.session.commit()
    response = visitor().get(f"/r/{referrer.referral_code}?c=spring")
    assert response.headers["Location"] == f"{SITE}/"
    assert clicks(app)[0].campaign_id is None


def test_a_landing_url_that_became_unsafe_is_not_followed(app, visitor, referrer, campaign):
    with app.app_context():
        db.session.execute(sa.text("UPDATE referral_campaigns SET landing_url = 'https://evil.example/x'"))
        db.session.commit()
    response = visitor().get(f"/r/{referrer.referral_code}?c=spring")
    assert urlsplit(response.headers["Location"]).netloc == "peerloop.test"


@pytest.mark.parametrize(
    ("content", "path"), [("thread-42", "/threads/42"), ("recommendation-7", "/recommendations/7")]
)
def test_shared_content_goes_to_the_content_and_is_a_touch_of_the_sharer(app, visitor, referrer, content, path):
    response = visitor().get(f"/r/{referrer.referral_code}?content={content}")
    assert response.headers["Location"] == f"{SITE}{path}"
    [click] = clicks(app)
    assert (click.referrer_id, click.channel, click.content) == (referrer.id, "share", content)


@pytest.mark.parametrize(
    "query",
    [
        "next=//evil.com",
        "url=https://evil.com",
        "c=https://evil.com",
        "c=//evil.com",
        "c=%2F%2Fevil.com",
        "content=//evil.com",
        "content=thread-1/../../evil.com",
        "content=thread-1@evil.com",
        "content=https://evil.com",
        "content=thread-%2F%2Fevil.com",
        "content=\\\\evil.com",
        "content=%5C%5Cevil.com",
        "content=thread-0x10",
        "redirect=https:%2F%2Fpeerloop.test@evil.com",
        "utm_source=x%0d%0aLocation:%20https://evil.com",
        "utm_campaign=//evil.com",
    ],
)
def test_no_parameter_sends_a_visitor_elsewhere(visitor, referrer, campaign, query):
    response = visitor().get(f"/r/{referrer.referral_code}?{query}")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "\r" not in location and "\n" not in location
    host = urlsplit(location).hostname
    assert host in ("peerloop.test", "brand.example")
    assert location.startswith((f"{SITE}/", "https://brand.example/"))


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (BOT, "bot"),
        ("curl/8.4.0", "bot"),
        ("python-requests/2.31", "bot"),
        ("", "unknown"),
        ("something odd", "unknown"),
    ],
)
def test_user_agent_class(app, visitor, referrer, user_agent, expected):
    visitor(user_agent=user_agent).get(f"/r/{referrer.referral_code}")
    assert clicks(app)[0].ua_class == expected


def test_control_characters_are_dropped_from_utm_values(app, visitor, referrer):
    response = visitor().get(f"/r/{referrer.referral_code}?utm_source=a%00b%0d%0ac&utm_medium=%00")
    assert response.status_code == 302
    click = clicks(app)[0]
    assert (click.utm_source, click.utm_medium) == ("abc", None)


def test_utm_values_are_truncated_not_refused(app, visitor, referrer):
    response = visitor().get(f"/r/{referrer.referral_code}?utm_source={'s' * 500}&utm_term=t")
    assert response.status_code == 302
    click = clicks(app)[0]
    assert click.utm_source == "s" * 100 and click.utm_term == "t"


def test_bad_referer_header_is_ignored(app, visitor, referrer):
    response = visitor().get(f"/r/{referrer.referral_code}", headers={"Referer": "http://[oops"})
    assert response.status_code == 302
    assert clicks(app)[0].referring_host is None


def test_my_referral_link(auth):
    client = auth.client("member")
    body = client.get("/api/v1/me/referral-link").get_json()
    assert body == {"code": client.member.referral_code, "url": f"{SITE}/r/{client.member.referral_code}"}


@pytest.fixture
def statements(app):
    """The SQL statements (not transaction control) the app runs while the fixture is active."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement.split(None, 1)[0].upper())

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", record)


def spooled_lines(app) -> int:
    return sum(len(path.read_bytes().splitlines()) for path in spool_files(app.config["REFERRAL_CLICK_SPOOL_DIR"]))


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_hot_path_reads_once_and_writes_only_the_spool(
    app, auth, visitor, referrer, campaign, statements, signed_in
):
    browser = auth.client("member") if signed_in else visitor()  # a signed-in member is never loaded here
    statements.clear()
    response = browser.get(f"/r/{referrer.referral_code}?c=spring&utm_source=x")
    assert response.status_code == 302
    assert [s for s in statements if s in ("SELECT", "INSERT", "UPDATE", "DELETE")] == ["SELECT"]
    assert spooled_lines(app) == 1
    [click] = clicks(app)  # stored once drained
    assert (click.referrer_id, click.campaign_id, click.utm_source, click.hits) == (referrer.id, campaign, "x", 1)


def test_an_unknown_code_costs_at_most_one_statement_and_spools_nothing(app, visitor, statements):
    visitor().get("/r/unknown0000")  # the SELECT finds no member
    visitor().get("/r/not valid!")  # refused before the database
    assert [s for s in statements if s in ("SELECT", "INSERT", "UPDATE", "DELETE")] == ["SELECT"]
    assert spooled_lines(app) == 0
    assert clicks(app) == []


NASTY = st.sampled_from(
    ["//evil.com", "\\\\evil.com", "https://evil.com", "@evil.com", "%2F%2Fevil.com", "\r\n", "/", "\x00"]
)
PARAM_VALUES = st.one_of(st.text(max_size=60), NASTY, st.builds(lambda a, b: a + b, NASTY, st.text(max_size=20)))
PARAMS = st.dictionaries(st.sampled_from(["c", "content", "next", "url", *UTM_KEYS]), PARAM_VALUES)


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(params=PARAMS)
def test_fuzzed_parameters_never_leave_the_allowed_hosts(visitor, referrer, campaign, params):
    response = visitor().get(f"/r/{referrer.referral_code}?{urlencode(params)}")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.scheme in ("http", "https") and "@" not in location.netloc
    assert location.hostname in ("peerloop.test", "brand.example")


def test_user_agents_are_cut_before_parsing(app, visitor, referrer, monkeypatch):
    parsed = []

    def parse(user_agent):
        parsed.append(len(user_agent))
        return None

    monkeypatch.setattr(clicks_service, "parse_device", parse)
    monkeypatch.setattr(clicks_service, "parse_user_agent", parse)
    response = visitor(user_agent="Mozilla/5.0 " + "(x; y) " * 20_000).get(f"/r/{referrer.referral_code}")
    assert response.status_code == 302
    assert parsed and max(parsed) <= clicks_service.UA_MAX
    assert clicks(app)[0].ua_class == "unknown"


def test_a_hot_link_is_read_once_per_cache_period(app, visitor, referrer, campaign, statements, monkeypatch):
    monkeypatch.setitem(app.config, "REFERRAL_LINK_CACHE_SECONDS", 60)
    monkeypatch.setitem(app.extensions, "referral_link_cache", None)  # this app's cache, made anew for 60 s
    statements.clear()
    for source in ("a", "b", "c"):
        assert visitor().get(f"/r/{referrer.referral_code}?c=spring&utm_source={source}").status_code == 302
    assert visitor().get("/r/unknown0000").status_code == 404
    assert visitor().get("/r/unknown0000").status_code == 404  # an unknown code is remembered too
    assert [s for s in statements if s in ("SELECT", "INSERT", "UPDATE", "DELETE")] == ["SELECT", "SELECT"]
    stored = [(c.referrer_id, c.campaign_id, c.utm_source) for c in clicks(app)]
    assert stored == [(referrer.id, campaign, source) for source in ("a", "b", "c")]
