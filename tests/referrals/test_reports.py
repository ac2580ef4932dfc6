"""Marketing reports over stored credit: attribution, funnel, leaderboard, tree, K-factor, flags."""

from datetime import timedelta

import pytest

from core.extensions import db
from core.models import utcnow
from referrals.models import MODELS
from referrals.services.conversions import attribute_signup, record_conversion
from tests.factories import MemberFactory
from tests.referrals.factories import CampaignFactory, ClickFactory


@pytest.fixture
def story(app):
    """Ann and Ben refer; m2 clicked both and became a customer (a 900 EUR deal); m3 came through a bot click."""
    with app.app_context():
        joined = utcnow() - timedelta(days=19, hours=12)
        ann = MemberFactory(display_name="Ann", created_at=joined)
        ben = MemberFactory(display_name="Ben", created_at=joined)
        spring = CampaignFactory(name="Spring")
        v1 = ClickFactory(referrer=ann, days_ago=3, campaign_id=spring.id, channel="campaign", utm_source="newsletter")
        v2 = ClickFactory(referrer=ann, days_ago=5)
        ClickFactory(referrer=ben, days_ago=1, visitor_id=v2.visitor_id)
        v3 = ClickFactory(referrer=ben, days_ago=1, ua_class="bot")
        ClickFactory(referrer=ann, days_ago=2)
        m1, m2, m3 = MemberFactory(display_name="M1"), MemberFactory(display_name="M2"), MemberFactory()
        for member, click in ((m1, v1), (m2, v2), (m3, v3)):
            attribute_signup(member, visitor_id=click.visitor_id)
        record_conversion(m1.id, "engaged", utcnow())
        record_conversion(m2.id, "lead", utcnow())
        record_conversion(m2.id, "customer", utcnow(), revenue_minor=90_000, currency="EUR")
        v5 = ClickFactory(referrer=m1, days_ago=1)
        m5 = MemberFactory(display_name="M5")
        attribute_signup(m5, visitor_id=v5.visitor_id)
        db.session.commit()
        return {
            "ann": ann.id,
            "ben": ben.id,
            "spring": spring.id,
            "m1": m1.id,
            "m2": m2.id,
            "m3": m3.id,
            "m5": m5.id,
        }


@pytest.fixture
def marketer(auth):
    return auth.client("marketer")


def report(client, path, **query):
    response = client.get(f"/api/v1/referrals/{path}", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def by_key(body) -> dict:
    return {item["key"]: item for item in body["items"]}


def test_attribution_by_referrer_last_touch(marketer, story):
    body = report(marketer, "attribution", model="last_touch", group_by="referrer")
    assert (body["model"], body["group_by"], body["window_days"]) == ("last_touch", "referrer", 30)
    items = by_key(body)
    ann, ben = items[str(story["ann"])], items[str(story["ben"])]
    assert ann == {
        "key": str(story["ann"]),
        "label": "Ann",
        "clicks": 3,
        "unique_visitors": 3,
        "signups": 1.0,
        "leads": 0.0,
        "customers": 0.0,
        "revenue": 0.0,
        "conversion_rate": pytest.approx(1 / 3, abs=1e-6),
    }
    assert (ben["clicks"], ben["signups"], ben["leads"], ben["customers"]) == (2, 1.0, 1.0, 1.0)
    assert (ben["revenue"], body["currency"]) == (900.0, "EUR")
    assert body["items"][0]["signups"] >= body["items"][-1]["signups"]


def test_attribution_linear_splits_credit(marketer, story):
    items = by_key(report(marketer, "attribution", model="linear", group_by="referrer"))
    assert items[str(story["ann"])]["signups"] == 1.5 and items[str(story["ann"])]["customers"] == 0.5
    assert items[str(story["ben"])]["signups"] == 0.5 and items[str(story["ben"])]["leads"] == 0.5
    assert items[str(story["ann"])]["revenue"] == 450.0 and items[str(story["ben"])]["revenue"] == 450.0


def test_flagged_conversions_only_with_include_flagged(marketer, story):
    ben = str(story["ben"])
    assert by_key(report(marketer, "attribution", model="last_touch"))[ben]["signups"] == 1.0
    assert by_key(report(marketer, "attribution", model="last_touch", include_flagged="true"))[ben]["signups"] == 2.0


def test_attribution_by_campaign_source_and_channel(marketer, story):
    campaigns = by_key(report(marketer, "attribution", model="last_touch", group_by="campaign"))
    assert campaigns[str(story["spring"])]["label"] == "Spring"
    assert (campaigns[str(story["spring"])]["clicks"], campaigns[str(story["spring"])]["signups"]) == (1, 1.0)
    assert campaigns["none"]["label"] == "(none)" and campaigns["none"]["clicks"] == 5
    sources = by_key(report(marketer, "attribution", model="first_touch", group_by="utm_source"))
    assert sources["newsletter"]["signups"] == 1.0 and sources["none"]["signups"] == 2.0
    channels = by_key(report(marketer, "attribution", model="first_touch", group_by="channel"))
    assert set(channels) == {"campaign", "link"}


@pytest.mark.parametrize("model", MODELS)
def test_a_narrower_window_recomputes_credit_over_its_own_touches(app, marketer, model):
    """Touches 10 and 1 days before the signup: in a 7-day window the second one is the only touch."""
    with app.app_context():
        ann, ben = MemberFactory(display_name="Ann"), MemberFactory(display_name="Ben")
        first = ClickFactory(referrer=ann, days_ago=10)
        ClickFactory(referrer=ben, days_ago=1, visitor_id=first.visitor_id)
        attribute_signup(MemberFactory(), visitor_id=first.visitor_id)
        db.session.commit()
        ann, ben = str(ann.id), str(ben.id)
    week = by_key(report(marketer, "attribution", model=model, window_days=7))
    assert week[ben]["signups"] == 1.0 and week.get(ann, {"signups": 0.0})["signups"] == 0.0
    month = by_key(report(marketer, "attribution", model=model))
    assert month[ann]["signups"] + month[ben]["signups"] == 1.0


def test_window_days_must_be_a_stored_window(app, marketer):
    response = marketer.get("/api/v1/referrals/attribution", query_string={"window_days": 60})
    assert response.status_code == 422
    assert response.get_json()["errors"]["window_days"] == ["Must be one of: 7, 14, 30."]
    assert report(marketer, "attribution", window_days=14)["window_days"] == 14


def test_date_range_limits_clicks_and_conversions(marketer, story):
    start = (utcnow() - timedelta(days=10)).date().isoformat()
    end = (utcnow() - timedelta(days=4)).date().isoformat()
    items = by_key(report(marketer, "attribution", model="last_touch", **{"from": start, "to": end}))
    assert items[str(story["ann"])]["clicks"] == 1 and items[str(story["ann"])]["signups"] == 0.0


def test_funnel_follows_the_cohort_of_the_period(marketer, story):
    steps = report(marketer, "funnel")["steps"]
    assert [(s["step"], s["count"]) for s in steps] == [
        ("click", 6),
        ("visitor", 5),
        ("signup", 3),  # the bot's signup is flagged
        ("engaged", 2),  # M1, and M2, who went further (lead, customer) without an "engaged" conversion
        ("lead", 1),
        ("customer", 1),
    ]
    assert steps[0]["rate_from_previous"] is None and steps[2]["rate_from_previous"] == 0.6


def test_funnel_counts_only_visitors_whose_first_click_is_in_the_period(app, marketer, story):
    start = (utcnow() - timedelta(days=4)).date().isoformat()  # after v2's first click, 5 days ago
    steps = {s["step"]: s["count"] for s in report(marketer, "funnel", **{"from": start})["steps"]}
    # v1 (M1), v3 (the bot, flagged), v4, v5 (M5) are new; v2 clicked again but first came 5 days ago
    assert (steps["visitor"], steps["signup"], steps["engaged"], steps["lead"]) == (4, 2, 1, 0)


def test_leaderboard(marketer, story):
    items = report(marketer, "leaderboard", model="linear")["items"]
    assert [(i["member"]["display_name"], i["signups"], i["clicks"]) for i in items[:2]] == [
        ("Ann", 1.5, 3),
        ("M1", 1.0, 1),
    ]
    assert report(marketer, "leaderboard", limit=1)["items"][0]["member"]["id"] == story["ann"]


def test_referral_tree_two_levels(marketer, story):
    tree = report(marketer, f"tree/{story['ann']}")
    assert tree["member"] == {"id": story["ann"], "display_name": "Ann"}
    assert [child["id"] for child in tree["referred"]] == [story["m1"]]
    assert [g["id"] for g in tree["referred"][0]["referred"]] == [story["m5"]]
    assert (tree["total_referred"], tree["total_second_level"]) == (1, 1)
    ben = report(marketer, f"tree/{story['ben']}")
    assert {(c["id"], c["flagged"]) for c in ben["referred"]} == {(story["m2"], False), (story["m3"], True)}


@pytest.mark.parametrize("member_id", ["999999", "99999999999999999999"])
def test_tree_of_missing_member_is_404(marketer, member_id):
    assert marketer.get(f"/api/v1/referrals/tree/{member_id}").status_code == 404


def test_k_factor(marketer, story):
    end = utcnow().replace(microsecond=0) + timedelta(days=1)
    start = end - timedelta(days=35)
    query = {"period_days": 7, "from": start.isoformat(), "to": end.isoformat()}
    body = report(marketer, "k-factor", **query)
    assert body["period_days"] == 7 and len(body["items"]) == 5
    last = body["items"][-1]  # the last six days and tomorrow: every click and signup
    assert (last["referred_signups"], last["clicks"], last["sharers"]) == (3, 6, 3)  # the bot's signup is flagged
    assert (last["members_at_start"], last["k_factor"]) == (2, 1.5)  # Ann and Ben brought 3
    assert last["invites_per_member"] == 3.0 and last["click_conversion_rate"] == 0.5
    assert [item["new_members"] for item in body["items"][:4]] == [0, 0, 2, 0]  # they joined 19.5 days ago
    assert sum(item["referred_signups"] for item in body["items"][:4]) == 0


def test_flags_list(marketer, story):
    body = report(marketer, "flags")
    [flag] = body["items"]
    assert flag["member"]["id"] == story["m3"] and flag["reasons"] == ["bot_user_agent"]
    assert flag["kind"] == "signup" and flag["referred_by"]["id"] == story["ben"]
    assert report(marketer, "flags", kind="customer")["items"] == []


BAD_QUERIES = [
    ("attribution", {"model": "u_shaped"}, "model"),
    ("attribution", {"group_by": "country"}, "group_by"),
    ("attribution", {"from": "yesterday"}, "from"),
    ("attribution", {"to": "2026-13-40"}, "to"),
    ("attribution", {"from": "2026-11-10", "to": "2026-11-01"}, "from"),
    ("attribution", {"window_days": "0"}, "window_days"),
    ("attribution", {"window_days": "2"}, "window_days"),
    ("attribution", {"window_days": "x"}, "window_days"),
    ("attribution", {"include_flagged": "maybe"}, "include_flagged"),
    ("funnel", {"from": "2026-11-01T25:00"}, "from"),
    ("funnel", {"to": "x" * 100}, "to"),
    ("funnel", {"to": "9999-12-31"}, "to"),
    ("funnel", {"from": "1900-01-01T00:00:00Z"}, "from"),
    ("leaderboard", {"limit": "1000"}, "limit"),
    ("leaderboard", {"model": "best"}, "model"),
    ("k-factor", {"period_days": "0"}, "period_days"),
    ("k-factor", {"period_days": "1", "from": "2020-01-01", "to": "2026-01-01"}, "period_days"),
    ("flags", {"kind": "fraud"}, "kind"),
    ("flags", {"limit": "-1"}, "limit"),
]


@pytest.mark.parametrize(("path", "query", "field"), BAD_QUERIES)
def test_bad_report_parameters_name_the_parameter(marketer, path, query, field):
    response = marketer.get(f"/api/v1/referrals/{path}", query_string=query)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize("path", ["attribution", "funnel", "leaderboard", "k-factor"])
def test_reports_say_which_range_they_cover(marketer, path):
    body = report(marketer, path, **{"from": "2026-03-01", "to": "2026-03-31"})
    assert (body["from"], body["to"]) == ("2026-03-01T00:00:00+00:00", "2026-04-01T00:00:00+00:00")
