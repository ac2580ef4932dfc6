"""Customer health on a hand-built population: each signal alone, several at once, reasons adding up to
the number, the move to at risk announced once, rules an admin changes."""

import pytest
import sqlalchemy as sa

from core.extensions import db
from journey.models import CustomerHealth
from journey.services import health
from leads.models import WebhookDelivery
from tests.community.factories import PostFactory, RecommendationFactory, ThreadFactory, ThreadFeedbackFactory
from tests.factories import MemberFactory
from tests.journey.conftest import API, act, ago
from tests.leads.factories import LeadFactory, WebhookFactory

BASELINE = {"signal": "baseline", "detail": "Every customer starts here", "points": 100}


def customer(**fields):
    return MemberFactory(member_type="customer", created_at=ago(200), **fields)


def steady(member) -> None:
    """Two activities lately, three before: their usual pace, not silent."""
    for days_ago in (5, 10, 40, 60, 80):
        act(member, ago(days_ago), "page_viewed", source="events")


def stored(member) -> CustomerHealth | None:
    return db.session.get(CustomerHealth, member.id, populate_existing=True)


def assessed(member) -> tuple[int, list[dict]]:
    return health.assess([member])[member.id]


@pytest.mark.usefixtures("app_ctx")
def test_a_steady_customer_is_whole():
    ann = customer()
    steady(ann)
    assert assessed(ann) == (100, [BASELINE])


@pytest.mark.usefixtures("app_ctx")
def test_engagement_falling_against_their_own_earlier_level():
    ben = customer()
    act(ben, ago(2))
    for days_ago in range(35, 115, 9):  # nine activities between 30 and 120 days ago: 3.0 per 30 days
        act(ben, ago(days_ago), "page_viewed", source="events")
    score, reasons = assessed(ben)
    assert reasons[1:] == [
        {
            "signal": "engagement_falling",
            "detail": "1 activity in the last 30 days, against 3.0 per 30 days in the 90 days before",
            "points": -20,
        }
    ]
    assert score == 80


@pytest.mark.usefixtures("app_ctx")
def test_what_happens_to_them_is_not_their_activity():
    cy = customer()
    steady(cy)
    for days_ago in range(1, 20):
        act(cy, ago(days_ago + 30), "reaction_received")
    act(cy, ago(1), "referral_signup", source="referrals")
    assert assessed(cy) == (100, [BASELINE])


@pytest.mark.usefixtures("app_ctx")
def test_a_detractor_score_counts_and_a_later_promoter_score_lifts_it(app):
    dee = customer()
    steady(dee)
    RecommendationFactory(member=dee, score=4, updated_at=ago(10))
    score, reasons = assessed(dee)
    assert score == 80 and reasons[1]["signal"] == "detractor" and "4/10" in reasons[1]["detail"]
    RecommendationFactory(member=dee, score=9, updated_at=ago(1))
    assert assessed(dee) == (100, [BASELINE])


@pytest.mark.usefixtures("app_ctx")
def test_low_csat_and_low_ces_are_read_from_the_latest_rating():
    eve, fay = customer(), customer()
    steady(eve), steady(fay)
    ThreadFeedbackFactory(thread=ThreadFactory(author=eve), csat=2, ces=6, created_at=ago(5))
    thread = ThreadFactory(author=fay)
    ThreadFeedbackFactory(thread=thread, csat=5, ces=3, created_at=ago(5))
    eve_score, eve_reasons = assessed(eve)
    assert (eve_score, [r["signal"] for r in eve_reasons]) == (85, ["baseline", "low_csat"])
    assert "CSAT 2/5" in eve_reasons[1]["detail"]
    fay_score, fay_reasons = assessed(fay)
    assert (fay_score, [r["signal"] for r in fay_reasons]) == (85, ["baseline", "low_ces"])
    assert f"thread {thread.id} CES 3/7" in fay_reasons[1]["detail"]


@pytest.mark.usefixtures("app_ctx")
def test_old_ratings_no_longer_count():
    gus = customer()
    steady(gus)
    ThreadFeedbackFactory(thread=ThreadFactory(author=gus), csat=1, ces=1, created_at=ago(91))
    assert assessed(gus) == (100, [BASELINE])


@pytest.mark.usefixtures("app_ctx")
def test_a_question_nobody_answered_for_days():
    hal = customer()
    steady(hal)
    waiting = ThreadFactory(author=hal, created_at=ago(5))
    PostFactory(thread=waiting, author=hal)  # their own follow-up is no answer
    ThreadFactory(author=hal, created_at=ago(1))  # too fresh to count
    answered = ThreadFactory(author=hal, created_at=ago(6))
    PostFactory(thread=answered)
    assert assessed(hal) == (
        90,
        [
            BASELINE,
            {"signal": "unanswered_question", "detail": "1 question unanswered, the oldest for 5 days", "points": -10},
        ],
    )


@pytest.mark.usefixtures("app_ctx")
def test_silence_after_activity_and_since_joining():
    ivy = customer()
    act(ivy, ago(31.5), "page_viewed", source="events")
    act(ivy, ago(50), "page_viewed", source="events")
    assert assessed(ivy) == (80, [BASELINE, {"signal": "silence", "detail": "No activity for 31 days", "points": -20}])
    jon = MemberFactory(member_type="customer", created_at=ago(45.2))
    assert assessed(jon)[1][1] == {
        "signal": "silence",
        "detail": "No activity since joining 45 days ago",
        "points": -20,
    }


@pytest.mark.usefixtures("app_ctx")
def test_the_active_customer_who_rated_ces_2_and_went_silent_is_at_risk():
    kim = customer()
    for days_ago in (45, 60, 75, 90, 100, 110):
        act(kim, ago(days_ago))
    ThreadFeedbackFactory(thread=ThreadFactory(author=kim), csat=4, ces=2, created_at=ago(40))
    act(kim, ago(40), "feedback_given")
    score, reasons = assessed(kim)
    assert [r["signal"] for r in reasons] == ["baseline", "engagement_falling", "low_ces", "silence"]
    assert score == 100 - 20 - 15 - 20 == sum(r["points"] for r in reasons) == 45


@pytest.mark.usefixtures("app_ctx")
def test_who_is_a_customer():
    kept = [customer(), MemberFactory(member_type="fan")]
    LeadFactory(member=kept[1], stage="won")
    left_out = [MemberFactory(member_type="fan"), customer(banned_at=ago(1)), customer(erased_at=ago(1))]
    ids = set(db.session.scalars(health.customers()))
    assert {m.id for m in kept} <= ids and not {m.id for m in left_out} & ids


@pytest.fixture
def subscribed(app_ctx):
    return WebhookFactory(event_list="customer.at_risk")


def deliveries() -> list[dict]:
    rows = db.session.scalars(sa.select(WebhookDelivery).where(WebhookDelivery.event_type == "customer.at_risk"))
    return [row.payload["data"] for row in rows]


def test_becoming_at_risk_is_announced_once_until_healthy_again(subscribed):
    lou = customer(display_name="Lou", email="lou@acme.io")
    ThreadFeedbackFactory(thread=ThreadFactory(author=lou), csat=1, ces=1, created_at=ago(2))
    RecommendationFactory(member=lou, score=0, updated_at=ago(2))
    assert health.update_batch([lou]) == 1  # 100 - 15 - 15 - 20 (detractor) - 20 (silence) = 30
    row = stored(lou)
    assert (row.health, row.status) == (30, "at_risk")
    assert health.update_batch([lou]) == 0  # still at risk: nothing new to say
    [sent] = deliveries()
    assert (sent["member_id"], sent["email"], sent["health"]) == (lou.id, "lou@acme.io", 30)
    assert sum(r["points"] for r in sent["reasons"]) == 30
    for days_ago in range(1, 6):
        act(lou, ago(days_ago))
    RecommendationFactory(member=lou, score=10, updated_at=ago(0.5))
    health.update_batch([lou])
    assert stored(lou).status == "healthy"  # 100 - 15 - 15 = 70
    for _ in range(2):
        health.refresh_health(lou.id)
    assert len(deliveries()) == 1
    lou_rules = health.current_rules()
    lou_rules.config = {**lou_rules.config, "at_risk_below": 75}
    health.update_batch([lou])
    assert [d["health"] for d in deliveries()] == [30, 70]  # at risk again: announced again


def test_former_customers_lose_their_health_row(app_ctx):
    mia = customer()
    health.update_batch([mia])
    mia.member_type = "fan"
    health.refresh_health(mia.id)
    assert stored(mia) is None
    ned = customer()
    health.update_batch([ned])
    ned.banned_at = ago(0)
    assert health.forget_former_customers() == 1 and stored(ned) is None


def test_the_list_worst_first_filtered_by_status_and_since(app, auth):
    with app.app_context():
        well, unwell, worse = customer(), customer(), customer()
        steady(well)
        steady(unwell)
        ThreadFeedbackFactory(thread=ThreadFactory(author=unwell), csat=1, ces=1, created_at=ago(1))
        RecommendationFactory(member=unwell, score=1, updated_at=ago(1))
        health.update_batch([well, unwell, worse])  # 100; 50: detractor, CSAT, CES; 80: silent since joining
        db.session.commit()
        ids = {"well": well.id, "unwell": unwell.id, "worse": worse.id}
    marketer = auth.client("marketer")
    items = marketer.get(f"{API}/customers/health").get_json()["items"]
    assert [(i["member"]["id"], i["health"], i["status"]) for i in items] == [
        (ids["unwell"], 50, "at_risk"),
        (ids["worse"], 80, "healthy"),
        (ids["well"], 100, "healthy"),
    ]
    assert all(sum(r["points"] for r in i["reasons"]) == i["health"] for i in items)
    at_risk = marketer.get(f"{API}/customers/health", query_string={"status": "at_risk"}).get_json()["items"]
    assert [i["member"]["id"] for i in at_risk] == [ids["unwell"]]
    assert marketer.get(f"{API}/customers/health", query_string={"to": "2020-01-01"}).get_json()["items"] == []
    page = marketer.get(f"{API}/customers/health", query_string={"limit": 2}).get_json()
    rest = marketer.get(f"{API}/customers/health", query_string={"cursor": page["next_cursor"]}).get_json()
    assert [i["member"]["id"] for i in page["items"] + rest["items"]] == [ids["unwell"], ids["worse"], ids["well"]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "sick"}, "status"),
        ({"from": "2026-02-31"}, "from"),
        ({"health": 50}, "health"),
        ({"limit": 101}, "limit"),
    ],
)
def test_the_list_refuses_bad_queries(auth, query, field):
    response = auth.client("admin").get(f"{API}/customers/health", query_string=query)
    assert response.status_code == 422 and field in response.get_json()["errors"]
