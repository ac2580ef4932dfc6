"""Journey stages from facts, each move with its time; the journey funnel computed by hand."""

import pytest
import sqlalchemy as sa

from core.extensions import db
from journey.models import STAGES, JourneyMember, StageEntry
from journey.services import funnel, stages
from tests.community.factories import RecommendationFactory
from tests.factories import MemberFactory
from tests.journey.conftest import API, T0, act, days, referred
from tests.referrals.factories import CampaignFactory


def entries(member_id: int) -> list[tuple]:
    rows = db.session.execute(
        sa.select(StageEntry.stage, StageEntry.entered_at).where(StageEntry.member_id == member_id)
    ).all()
    return sorted((tuple(row) for row in rows), key=lambda row: STAGES.index(row[0]))


@pytest.fixture
def population(app_ctx):
    """Five members discovered around T0 (2026-03-01 12:00):
    m1 organic fan, nothing more; m2 organic fan, active 2 days later;
    m3 clicked Ada's link a day before joining as a customer at T0, active 4 days later;
    m4 clicked Ada's link at T0, joined as a fan the next day, active at +3 days, a customer at +10 days,
    a promoter at +20 days; m5 came through a campaign at T0 and did nothing."""
    ada = MemberFactory(display_name="Ada", created_at=T0 - days(400))
    m1 = MemberFactory(member_type="fan", created_at=T0)
    m2 = MemberFactory(member_type="fan", created_at=T0)
    act(m2, T0 + days(2))
    m3 = MemberFactory(member_type="customer")
    referred(m3, ada, T0 - days(1), T0)
    act(m3, T0 + days(4))
    m4 = MemberFactory(member_type="fan")
    referred(m4, ada, T0, T0 + days(1))
    act(m4, T0 + days(3))
    m4.member_type = "customer"
    RecommendationFactory(member=m4, score=10, created_at=T0 + days(20), updated_at=T0 + days(20))
    spring = CampaignFactory(name="Spring")
    m5 = MemberFactory(member_type="fan")
    referred(m5, ada, T0, T0 + days(2), campaign_id=spring.id, channel="campaign")
    db.session.flush()
    stages.refresh_journeys([m1, m2, m3, m5])
    stages.refresh_journeys([m4], {m4.id: T0 + days(10)})  # seen becoming a customer then
    return {"ada": ada, "m1": m1, "m2": m2, "m3": m3, "m4": m4, "m5": m5, "spring": spring}


def test_each_member_stands_where_the_facts_put_them(population):
    p = population
    assert entries(p["m1"].id) == [("discovery", T0)]
    assert entries(p["m2"].id) == [("discovery", T0), ("engagement", T0 + days(2))]
    # a customer from the start passed engagement when they joined, before their first activity
    assert entries(p["m3"].id) == [("discovery", T0 - days(1)), ("engagement", T0), ("conversion", T0)]
    assert entries(p["m4"].id) == [
        ("discovery", T0),
        ("engagement", T0 + days(3)),
        ("conversion", T0 + days(10)),
        ("advocacy", T0 + days(20)),
    ]
    journeys = {j.member_id: j for j in db.session.scalars(sa.select(JourneyMember))}
    assert [(journeys[p[m].id].stage, journeys[p[m].id].channel) for m in ("m1", "m2", "m3", "m4", "m5")] == [
        ("discovery", "organic"),
        ("engagement", "organic"),
        ("conversion", "referral"),
        ("advocacy", "referral"),
        ("discovery", "campaign"),
    ]
    assert (journeys[p["m4"].id].referrer_id, journeys[p["m5"].id].campaign_id) == (p["ada"].id, p["spring"].id)


def test_stages_only_move_forward_and_recorded_moves_stand(population):
    m4 = population["m4"]
    before = entries(m4.id)
    m4.member_type = "fan"
    stages.refresh_journeys([m4])
    assert entries(m4.id) == before
    assert db.session.get(JourneyMember, m4.id).stage == "advocacy"


def test_advocacy_through_a_converted_referral(population):
    m3 = population["m3"]
    friend = MemberFactory(member_type="fan")
    referred(friend, m3, T0 + days(30), T0 + days(31))  # someone m3 referred signed up
    stages.refresh_journeys([m3])
    assert entries(m3.id)[-1] == ("advocacy", T0 + days(31))


def test_a_promoter_who_is_no_customer_is_no_advocate(app_ctx):
    fan = MemberFactory(member_type="fan", created_at=T0)
    RecommendationFactory(member=fan, score=10, updated_at=T0 + days(1))
    stages.refresh_journeys([fan])
    assert entries(fan.id) == [("discovery", T0)]


def funnel_rows(**query) -> list[tuple]:
    body = funnel.journey_funnel(**query)
    return [(i["stage"], i["members"], i["rate_from_previous"], i["median_days_from_discovery"]) for i in body["items"]]


def test_the_funnel_computed_by_hand(population):

    assert funnel_rows() == [
        ("discovery", 5, None, 0.0),
        ("engagement", 3, 0.6, 2.0),  # m2 after 2 days, m3 after 1, m4 after 3: median 2
        ("conversion", 2, 0.6667, 5.5),  # m3 after 1, m4 after 10
        ("advocacy", 1, 0.5, 20.0),
    ]


def test_the_funnel_by_discovery_channel(population):
    assert funnel_rows(discovered_via="referral") == [
        ("discovery", 2, None, 0.0),
        ("engagement", 2, 1.0, 2.0),
        ("conversion", 2, 1.0, 5.5),
        ("advocacy", 1, 0.5, 20.0),
    ]
    assert funnel_rows(discovered_via="organic")[1:3] == [("engagement", 1, 0.5, 2.0), ("conversion", 0, 0.0, None)]
    assert funnel_rows(discovered_via="campaign") == [
        ("discovery", 1, None, 0.0),
        ("engagement", 0, 0.0, None),
        ("conversion", 0, None, None),
        ("advocacy", 0, None, None),
    ]
    assert funnel_rows(discovered_via="share")[0] == ("discovery", 0, None, None)


def test_the_funnel_counts_members_discovered_in_the_range(population):
    from_to = {"start": T0.replace(hour=0), "end": T0.replace(hour=0) + days(1)}  # 2026-03-01, as ?from=&to= say
    assert [row[1] for row in funnel_rows(**from_to)] == [4, 2, 1, 1]  # m1, m2, m4, m5 (m3 on the 28th)


def test_member_journey_through_the_api(population, auth, app):
    db.session.commit()
    marketer = auth.client("marketer")
    body = marketer.get(f"{API}/members/{population['m4'].id}/journey").get_json()
    assert body["stage"] == "advocacy" and body["member_id"] == population["m4"].id
    assert [(s["stage"], s["entered_at"]) for s in body["stages"]] == [
        ("discovery", "2026-03-01T12:00:00+00:00"),
        ("engagement", "2026-03-04T12:00:00+00:00"),
        ("conversion", "2026-03-11T12:00:00+00:00"),
        ("advocacy", "2026-03-21T12:00:00+00:00"),
    ]
    assert body["discovered_via"] == {"channel": "referral", "referrer_id": population["ada"].id, "campaign": None}
    m5 = marketer.get(f"{API}/members/{population['m5'].id}/journey").get_json()
    spring = population["spring"]
    assert m5["discovered_via"]["campaign"] == {"id": spring.id, "name": "Spring"}


def test_a_journey_nobody_computed_yet_is_computed_on_read(auth, app):
    with app.app_context():
        prospect = MemberFactory(member_type="prospect", password_hash=None, created_at=T0)
        db.session.commit()
        prospect_id = prospect.id
    body = auth.client("admin").get(f"{API}/members/{prospect_id}/journey").get_json()
    assert (body["stage"], body["stages"], body["discovered_via"]["channel"]) == (
        "discovery",
        [{"stage": "discovery", "entered_at": "2026-03-01T12:00:00+00:00"}],
        "organic",
    )


def test_funnel_through_the_api(population, auth):
    db.session.commit()
    marketer = auth.client("marketer")
    body = marketer.get(f"{API}/journey/funnel", query_string={"discovered_via": "referral", "from": "2026-02-01"})
    assert body.status_code == 200
    assert body.get_json()["discovered_via"] == "referral" and body.get_json()["from"] == "2026-02-01T00:00:00+00:00"
    assert [i["members"] for i in body.get_json()["items"]] == [2, 2, 2, 1]


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/journey/funnel", {"discovered_via": "peer"}, "discovered_via"),
        ("/journey/funnel", {"from": "2026-03-02", "to": "2026-03-01"}, "from"),
        ("/journey/funnel", {"to": "tomorrow"}, "to"),
        ("/journey/funnel", {"stage": "advocacy"}, "stage"),
        ("/members/1/journey", {"from": "2026-01-01"}, "from"),
    ],
)
def test_bad_queries_are_refused(auth, path, query, field):
    response = auth.client("marketer").get(f"{API}{path}", query_string=query)
    assert response.status_code == 422 and field in response.get_json()["errors"]


def test_unknown_and_erased_members_have_no_journey(auth, app):
    with app.app_context():
        erased = MemberFactory(erased_at=T0)
        db.session.commit()
        erased_id = erased.id
    marketer = auth.client("marketer")
    assert marketer.get(f"{API}/members/999999/journey").status_code == 404
    assert marketer.get(f"{API}/members/{erased_id}/journey").status_code == 404
