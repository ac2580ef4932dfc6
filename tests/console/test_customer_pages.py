"""Customer pages through the test client, each on a small population whose numbers are worked out
by hand here: the journey funnel by channel, NPS/CSAT/CES per month, customers at risk and why."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from core.extensions import db
from journey.services import health, stages
from tests.community.factories import ProductFactory, RecommendationFactory, ThreadFactory, ThreadFeedbackFactory
from tests.factories import MemberFactory
from tests.journey.conftest import T0, act, ago, days, referred


def cells(page: str, table: str) -> dict[str, list[str]]:
    """Rows of the table with id `table`, by their data-* key: the text of each cell after the first."""
    body = re.search(rf'<table class="data[^"]*" id="{table}">(.*?)</table>', page, re.S).group(1)
    rows = re.findall(r'<tr data-[a-z]+="([^"]+)">(.*?)</tr>', body, re.S)
    return {
        key: [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)][1:]
        for key, row in rows
    }


def drawn(page: str, chart: str) -> dict[str, float]:
    """What a line chart draws: period -> value of each point."""
    svg = re.search(rf'<div id="{chart}">(.*?)</svg>', page, re.S).group(1)
    return {period: float(value) for period, value in re.findall(r'data-period="([^"]+)" data-value="([^"]+)"', svg)}


# --- journey funnel -----------------------------------------------------------------------------


@pytest.fixture
def discovered(app):
    """Ada, a fan for 400 days before T0, and m1, joined at T0, came on their own and did nothing more;
    m2 clicked Ada's link at T0, joined a day later as a fan and was active at T0+3; m3 clicked Ada's
    link at T0-1 and joined as a customer at T0 (engaged and converted then)."""
    with app.app_context():
        ada = MemberFactory(member_type="fan", created_at=T0 - days(400))
        m1 = MemberFactory(member_type="fan", created_at=T0)
        m2 = MemberFactory(member_type="fan")
        referred(m2, ada, T0, T0 + days(1))
        act(m2, T0 + days(3))
        m3 = MemberFactory(member_type="customer")
        referred(m3, ada, T0 - days(1), T0)
        db.session.flush()
        stages.refresh_journeys([m1, m2, m3])
        db.session.commit()


def test_the_journey_funnel_counts_each_stage_with_its_median_days(auth, discovered):
    page = auth.client("marketer").get("/console/journey").get_data(as_text=True)
    # discovery: all four at 0 days; engagement: m2 after 3 days, m3 after 1 (median 2); conversion: m3 after 1
    assert cells(page, "journey-funnel") == {
        "discovery": ["4", "–", "0.0"],
        "engagement": ["2", "50.0%", "2.0"],
        "conversion": ["1", "50.0%", "1.0"],
        "advocacy": ["0", "0.0%", "–"],
    }


def test_the_channels_side_by_side_show_whether_peers_convert_better(auth, discovered):
    page = auth.client("marketer").get("/console/journey").get_data(as_text=True)
    # discovered, engaged, converted, advocates, discovery -> conversion, median days to convert, to advocacy
    assert cells(page, "by-channel") == {
        "referral": ["2", "2", "1", "0", "50.0%", "1.0", "–"],
        "campaign": ["0", "0", "0", "0", "–", "–", "–"],
        "share": ["0", "0", "0", "0", "–", "–", "–"],
        "organic": ["2", "0", "0", "0", "0.0%", "–", "–"],
    }


def test_one_channel_and_a_range_narrow_the_funnel(auth, discovered):
    client = auth.client("marketer")
    page = client.get("/console/journey?discovered_via=organic").get_data(as_text=True)
    assert [row[0] for row in cells(page, "journey-funnel").values()] == ["2", "0", "0", "0"]
    assert re.search(r'data-value="organic" class="active"', page)
    page = client.get("/console/journey?from=2026-03-01").get_data(as_text=True)  # m1 and m2 only
    assert [row[0] for row in cells(page, "journey-funnel").values()] == ["2", "1", "0", "0"]


# --- voice of the customer ----------------------------------------------------------------------

JAN, FEB = datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 2, 10, tzinfo=UTC)
RANGE = "from=2026-01-01&to=2026-02-28"


@pytest.fixture
def voices(app):
    """January: a 10 and a 3 for the dock (NPS 0); ratings CSAT 5 / CES 2 and CSAT 2 / CES 6 (CSAT 50 %,
    CES 4.0). February: a 9 (NPS +100), and a banned member's 0, which does not count; one rating,
    CSAT 4 / CES 3 (CSAT 100 %, CES 3.0)."""
    with app.app_context():
        dock, other = ProductFactory(name="Dock"), ProductFactory(name="Cable")
        for score, when in ((10, JAN), (3, JAN), (9, FEB)):
            RecommendationFactory(product=dock, score=score, created_at=when, updated_at=when)
        banned = MemberFactory(banned_at=FEB)
        RecommendationFactory(product=dock, member=banned, score=0, created_at=FEB, updated_at=FEB)
        for csat, ces, when in ((5, 2, JAN), (2, 6, JAN), (4, 3, FEB)):
            ThreadFeedbackFactory(csat=csat, ces=ces, created_at=when)
        db.session.commit()
        return {"dock": dock.id, "other": other.id}


def test_nps_csat_and_ces_are_drawn_per_month(auth, voices):
    page = auth.client("marketer").get(f"/console/voice?{RANGE}").get_data(as_text=True)
    assert drawn(page, "nps-chart") == {"Jan 2026": 0.0, "Feb 2026": 100.0}
    assert drawn(page, "csat-chart") == {"Jan 2026": 50.0, "Feb 2026": 100.0}
    assert drawn(page, "ces-chart") == {"Jan 2026": 4.0, "Feb 2026": 3.0}
    # recommendations, promoters, passives, detractors, NPS, ratings, CSAT, CES (newest month first)
    assert cells(page, "voice-table") == {
        "2026-02": ["1", "1", "0", "0", "+100.0", "1", "100.0%", "3.00"],
        "2026-01": ["2", "1", "0", "1", "0.0", "2", "50.0%", "4.00"],
    }
    assert '<span class="stat-value" id="nps-total">+33.3</span>' in page  # 2 promoters, 1 detractor of 3


def test_a_month_without_answers_is_a_gap_not_a_zero(auth, voices):
    page = auth.client("marketer").get("/console/voice?from=2025-12-01&to=2026-02-28").get_data(as_text=True)
    assert "Dec 2025" not in drawn(page, "nps-chart") and len(drawn(page, "nps-chart")) == 2
    assert cells(page, "voice-table")["2025-12"] == ["0", "0", "0", "0", "–", "0", "–", "–"]
    path = re.search(r'<div id="nps-chart">.*?<path class="line s0" d="([^"]+)"', page, re.S).group(1)
    assert path.startswith("M") and path.count("M") == 1 and path.count("L") == 1  # Jan to Feb joined


def test_the_nps_of_one_product(auth, voices):
    page = auth.client("marketer").get(f"/console/voice?{RANGE}&product_id={voices['other']}").get_data(as_text=True)
    assert drawn(page, "nps-chart") == {}
    assert "No answers in this range" in page
    assert drawn(page, "csat-chart") == {"Jan 2026": 50.0, "Feb 2026": 100.0}  # ratings are per category, not product


def test_the_page_opens_on_the_last_twelve_months(auth, app):
    with app.app_context():
        RecommendationFactory(score=10, updated_at=ago(400))  # older than the page shows
        RecommendationFactory(score=9, updated_at=ago(1))
        db.session.commit()
    page = auth.client("marketer").get("/console/voice").get_data(as_text=True)
    months = cells(page, "voice-table")
    assert len(months) == 12 and sum(int(row[0]) for row in months.values()) == 1


# --- customers at risk --------------------------------------------------------------------------


@pytest.fixture
def customers(app):
    """Kim: silent since joining 200 days ago, a detractor (3/10) and a hard time getting help (CES 2):
    100 - 20 - 15 - 20 = 45, at risk. Leo: silent only, 80. Ann: steady, 100."""
    with app.app_context():
        kim, leo, ann = (
            MemberFactory(member_type="customer", created_at=ago(200), display_name=name)
            for name in ("Kim", "Leo", "Ann")
        )
        RecommendationFactory(member=kim, score=3, updated_at=ago(10))
        ThreadFeedbackFactory(thread=ThreadFactory(author=kim), csat=4, ces=2, created_at=ago(5))
        for days_ago in (5, 10, 40, 60, 80):
            act(ann, ago(days_ago), "page_viewed", source="events")
        health.update_batch([kim, leo, ann])
        db.session.commit()
        return {"kim": kim.id, "leo": leo.id, "ann": ann.id}


def reasons(page: str) -> dict[str, list[tuple[str, int]]]:
    """Member id -> [(signal, points)] as the page lists them."""
    found = {}
    for member_id, row in re.findall(r'<tr data-member="(\d+)">(.*?)</tr>', page, re.S):
        found[member_id] = [
            (signal, int(points.replace("+", "")))
            for signal, points in re.findall(r'data-signal="([^"]+)"><span class="points[^"]*">([^<]+)</span>', row)
        ]
    return found


def test_customers_at_risk_with_reasons_that_add_up(auth, customers):
    page = auth.client("marketer").get("/console/customers/at-risk").get_data(as_text=True)
    kim = str(customers["kim"])
    assert reasons(page) == {kim: [("baseline", 100), ("detractor", -20), ("low_ces", -15), ("silence", -20)]}
    assert re.search(rf'<tr data-member="{kim}">.*?<span class="health-value">45</span>', page, re.S)
    assert "No activity since joining 200 days ago" in page and "CES 2/7" in page
    assert '<span class="stat-value" id="at-risk-count">1</span>' in page


def test_the_healthy_worst_first(auth, customers):
    page = auth.client("marketer").get("/console/customers/at-risk?status=healthy").get_data(as_text=True)
    listed = reasons(page)
    assert list(listed) == [str(customers["leo"]), str(customers["ann"])]
    assert [sum(points for _, points in found) for found in listed.values()] == [80, 100]


def test_customers_page_by_page(auth, customers):
    client = auth.client("marketer")
    first = client.get("/console/customers/at-risk?status=healthy&limit=1").get_data(as_text=True)
    assert list(reasons(first)) == [str(customers["leo"])]
    next_page = re.search(r'href="([^"]+cursor=[^"]+)"', first).group(1).replace("&amp;", "&")
    assert list(reasons(client.get(next_page).get_data(as_text=True))) == [str(customers["ann"])]


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/console/journey?discovered_via=pigeon", "discovered_via"),
        ("/console/journey?from=2026-13-45", "from"),
        ("/console/journey?from=2026-03-02&to=2026-03-01", "from"),
        ("/console/voice?product_id=999999", "product_id"),
        ("/console/voice?category=999999", "category"),
        ("/console/voice?category=abc", "category"),
        ("/console/voice?group_by=product", "group_by"),
        ("/console/voice?to=2025-01-01", "from"),  # before the page's opening month
        ("/console/voice?colour=red", "colour"),
        ("/console/customers/at-risk?status=sick", "status"),
        ("/console/customers/at-risk?limit=0", "limit"),
        ("/console/customers/at-risk?cursor=nonsense", "cursor"),
    ],
)
def test_bad_arguments_are_a_422_page_naming_the_field(auth, path, field):
    response = auth.client("marketer").get(path)
    assert response.status_code == 422 and f"<strong>{field}</strong>" in response.get_data(as_text=True)
