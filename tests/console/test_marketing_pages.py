"""Marketing pages through the test client: attribution under each model, funnel and K-factor, rewards."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.accounts.models import Member
from core.extensions import db
from core.models import utcnow
from referrals.services.conversions import attribute_signup, record_conversion
from tests.factories import MemberFactory
from tests.referrals.factories import ClickFactory


@pytest.fixture
def journey(app):
    """A newcomer clicked Ann's link, then Ben's, then signed up: first touch credits Ann, last touch Ben."""
    with app.app_context():
        joined = utcnow() - timedelta(days=60)
        ann = MemberFactory(display_name="Ann Advocate", created_at=joined)
        ben = MemberFactory(display_name="Ben Booster", created_at=joined)
        first = ClickFactory(referrer=ann, days_ago=3)
        ClickFactory(referrer=ben, days_ago=1, visitor_id=first.visitor_id)
        ClickFactory(referrer=ann, days_ago=20)  # a click that converted nobody
        attribute_signup(MemberFactory(display_name="Nia Newcomer"), visitor_id=first.visitor_id)
        db.session.commit()


def chart(page: str) -> dict[str, float]:
    """Series name -> total value drawn in the attribution chart."""
    totals: dict[str, float] = {}
    for name, value in re.findall(r'data-series="([^"]+)" data-period="[^"]*" data-value="([^"]+)"', page):
        totals[name] = totals.get(name, 0.0) + float(value)
    return totals


def table(page: str) -> dict[str, list[str]]:
    rows = re.findall(r"<tr data-key=\"[^\"]+\">\s*<td>([^<]+)</td>(.*?)</tr>", page, re.S)
    return {label: re.findall(r'class="num">([^<]+)<', cells) for label, cells in rows}


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("last_touch", {"Ben Booster": 1.0}),
        ("first_touch", {"Ann Advocate": 1.0}),
        ("linear", {"Ann Advocate": 0.5, "Ben Booster": 0.5}),
    ],
)
def test_the_chart_follows_the_attribution_model(auth, journey, model, expected):
    page = auth.client("marketer").get(f"/console/attribution?model={model}").get_data(as_text=True)
    assert chart(page) == pytest.approx(expected)
    assert re.search(rf'<a href="[^"]*model={model}[^"]*" data-value="{model}" class="active"', page)


def test_the_table_shows_clicks_and_credit_per_referrer(auth, journey):
    page = auth.client("marketer").get("/console/attribution?model=first_touch").get_data(as_text=True)
    rows = table(page)
    assert rows["Ann Advocate"][:3] == ["2", "2", "1.00"]  # clicks, unique visitors, credited signups
    assert rows["Ben Booster"][:3] == ["1", "1", "0.00"]


def test_the_switchers_keep_the_other_choices(auth, journey):
    page = auth.client("marketer").get("/console/attribution?model=linear&group_by=channel").get_data(as_text=True)
    window_links = re.findall(r'href="([^"]+)" data-value="\d+"', page)
    assert window_links and all("model=linear" in link and "group_by=channel" in link for link in window_links)
    assert "by channel" in page


def test_the_chart_groups_by_period(auth, journey):
    page = auth.client("marketer").get("/console/attribution?measure=clicks").get_data(as_text=True)
    periods = set(re.findall(r'data-period="([^"]+)"', page))
    assert len(periods) == 2  # the clicks 20 days ago and those of the last week fall in two weekly columns
    assert chart(page) == {"Ann Advocate": 2.0, "Ben Booster": 1.0}


def test_revenue_is_a_column_and_a_chart_measure(app, auth, journey):
    with app.app_context():
        newcomer = db.session.scalar(sa.select(Member.id).where(Member.display_name == "Nia Newcomer"))
        record_conversion(newcomer, "customer", utcnow(), revenue_minor=123_456, currency="EUR")
        db.session.commit()
    page = auth.client("marketer").get("/console/attribution?model=linear&measure=revenue").get_data(as_text=True)
    assert "Revenue (EUR)" in page and "Credited revenue over time" in page
    assert chart(page) == pytest.approx({"Ann Advocate": 617.28, "Ben Booster": 617.28})
    assert re.findall(r'class="num revenue">([^<]+)<', page) == ["617.28", "617.28"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("model=u_shaped", "model"),
        ("window_days=5", "window_days"),
        ("measure=revenue_per_hour", "measure"),
        ("from=yesterday", "from"),
        ("from=2026-02-01&to=2026-01-01", "from"),
    ],
)
def test_bad_attribution_arguments_are_422_naming_the_field(auth, query, field):
    response = auth.client("marketer").get(f"/console/attribution?{query}")
    assert response.status_code == 422
    assert f"<strong>{field}</strong>" in response.get_data(as_text=True)


def test_funnel_and_k_factor(auth, journey):
    page = auth.client("marketer").get("/console/growth?period_days=7").get_data(as_text=True)
    funnel = dict(re.findall(r"<tr><td>(\w+)</td><td class=\"num\">([\d,]+)</td>", page))
    assert (funnel["Click"], funnel["Visitor"], funnel["Signup"]) == ("3", "2", "1")
    assert "K-factor per 7-day period" in page
    k_factors = [
        float(value) for value in re.findall(r'data-series="K-factor" data-period="[^"]+" data-value="([^"]+)"', page)
    ]
    assert k_factors == [0.5]  # one referred signup in the last week, two members before it
    assert auth.client("marketer").get("/console/growth?period_days=0").status_code == 422


def test_rewards_ledger_and_its_export(app, auth):
    from referrals.models import RewardEntry, RewardRule

    with app.app_context():
        referrer, referred = MemberFactory(display_name="Rita Referrer"), MemberFactory()
        rule = RewardRule(trigger="signup", referrer_amount=50, referee_amount=10, unit="points")
        db.session.add(rule)
        db.session.flush()
        entry = dict(rule_id=rule.id, referred_member_id=referred.id, trigger="signup", unit="points")
        db.session.add(RewardEntry(member_id=referrer.id, side="referrer", amount=50, **entry))
        db.session.commit()
    client = auth.client("marketer")
    page = client.get("/console/rewards").get_data(as_text=True)
    assert "Rita Referrer" in page and "<strong>50</strong> points" in page
    export = client.get(re.search(r'href="(/api/v1/referrals/rewards/export\.csv)"', page).group(1))
    assert "Rita Referrer" in export.get_data(as_text=True)
