"""The console in headless Chromium against gunicorn: what sales, marketers and members see and do.

Each step's screenshot is saved under tests/artifacts/<test>/<who>/."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from core.extensions import db
from core.models import utcnow
from journey.services import health, stages
from leads.models import Lead
from leads.services.scoring import record_activity
from referrals.services.conversions import attribute_signup, record_conversion
from tests.community.factories import RecommendationFactory, ThreadFactory, ThreadFeedbackFactory
from tests.factories import PASSWORD, MemberFactory
from tests.journey.conftest import ago
from tests.leads.conftest import RULES, install_rules
from tests.referrals.factories import ClickFactory

pytestmark = pytest.mark.live


def sign_in(page, email: str) -> None:
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button.wide")


def drawn_series(page) -> dict[str, float]:
    """What the attribution chart draws: series name -> total of its bars."""
    totals: dict[str, float] = {}
    for bar in page.locator("#attribution-chart rect[data-series]").all():
        name = bar.get_attribute("data-series")
        totals[name] = totals.get(name, 0.0) + float(bar.get_attribute("data-value"))
    return totals


def test_sales_opens_a_lead_claims_it_and_moves_it(browser, live_server, app, auth):
    seller = auth.member("sales", display_name="Sam Seller")
    with app.app_context():
        install_rules(RULES)
        tia, sid = MemberFactory(display_name="Tia Top"), MemberFactory(display_name="Sid Second")
        for member, kinds in ((tia, ("demo_requested", "pricing_viewed")), (sid, ("demo_requested", "page_viewed"))):
            for kind in kinds:
                record_activity(member.id, kind, utcnow(), source="events")
        db.session.commit()
        lead_id = db.session.scalar(sa.select(Lead.id).where(Lead.member_id == tia.id))
    screens = browser("sales")
    page = screens.page
    page.goto(f"{live_server}/console/leads")
    expect(page).to_have_url(re.compile(r"/console/sign-in\?next=/console/leads$"))
    screens.shot("sign-in")
    sign_in(page, seller.email)
    expect(page).to_have_url(f"{live_server}/console/leads")
    expect(page.locator("#leads .lead-name")).to_have_text(["Tia Top", "Sid Second"])
    screens.shot("leads")
    page.click("text=Tia Top")
    expect(page.locator("#stage")).to_have_text("MQL")
    expect(page.locator("#owner")).to_have_text("Unclaimed")
    expect(page.locator(".hbars li").first).to_contain_text("Demo requested")
    expect(page.locator(".hbars li").first).to_contain_text("+30.0")
    screens.shot("lead")
    page.click("#claim")
    expect(page.locator(".flash-success")).to_have_text("You own this lead now; it is at stage SAL.")
    expect(page.locator("#stage")).to_have_text("SAL")
    expect(page.locator("#owner")).to_have_text("Owned by Sam Seller")
    screens.shot("claimed")
    page.select_option("#status", "sql")
    page.click("#move")
    expect(page.locator("#stage")).to_have_text("SQL")
    expect(page.locator("#history li")).to_have_count(3)  # qualified, claimed, moved
    expect(page.locator("#history li").last).to_contain_text("SAL → SQL")
    expect(page.locator("#history li").last).to_contain_text("Sam Seller")
    screens.shot("moved")
    page.select_option("#status", "won")
    page.click("#move")
    expect(page.locator(".flash-error")).to_contain_text("amount")  # a won deal says how much
    page.select_option("#status", "won")
    page.fill("#amount", "4200")
    page.fill("#currency", "EUR")
    page.click("#move")
    expect(page.locator("#stage")).to_have_text("WON")
    expect(page.locator("#closed")).to_contain_text("won for 4200.00 EUR")
    screens.shot("won")
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert (lead.stage, lead.owner_id, str(lead.amount)) == ("won", seller.id, "4200.00")
    page.goto(f"{live_server}/console/leads")
    page.select_option("#overdue", "true")
    page.click("text=Apply")
    expect(page).to_have_url(re.compile(r"overdue=true"))
    expect(page.locator("#leads .empty")).to_be_visible()  # no claim SLA set: nothing is overdue
    screens.shot("overdue")


def test_marketer_switches_the_attribution_model_and_the_chart_changes(browser, live_server, app, auth):
    marketer = auth.member("marketer")
    with app.app_context():
        ann, ben = MemberFactory(display_name="Ann Advocate"), MemberFactory(display_name="Ben Booster")
        first = ClickFactory(referrer=ann, days_ago=3)
        ClickFactory(referrer=ben, days_ago=1, visitor_id=first.visitor_id)
        nia = MemberFactory(display_name="Nia Newcomer")
        attribute_signup(nia, visitor_id=first.visitor_id)
        record_conversion(nia.id, "customer", utcnow(), revenue_minor=50_000, currency="EUR")
        db.session.commit()
    screens = browser("marketer")
    page = screens.page
    page.goto(f"{live_server}/console/attribution")
    sign_in(page, marketer.email)
    expect(page.locator("#attribution-chart")).to_have_attribute("data-model", "last_touch")
    assert drawn_series(page) == {"Ben Booster": 1.0}
    expect(page.locator("#attribution-table th").nth(6)).to_have_text("Revenue (EUR)")
    expect(page.locator("#attribution-table tr[data-key] .revenue").first).to_have_text("500.00")
    screens.shot("attribution-last-touch")
    page.click(".tabs a[data-value=first_touch]")
    expect(page.locator("#attribution-chart")).to_have_attribute("data-model", "first_touch")
    assert drawn_series(page) == {"Ann Advocate": 1.0}
    expect(page.locator("#attribution-table tr[data-key]").first).to_contain_text("Ann Advocate")
    screens.shot("attribution-first-touch")
    page.click(".tabs a[data-value=linear]")
    expect(page.locator("#attribution-chart")).to_have_attribute("data-model", "linear")
    assert drawn_series(page) == {"Ann Advocate": 0.5, "Ben Booster": 0.5}
    screens.shot("attribution-linear")


def test_marketer_reads_the_voice_of_the_customer_as_charts(browser, live_server, app, auth):
    marketer = auth.member("marketer")
    with app.app_context():
        for score, days_ago in ((10, 70), (9, 70), (3, 70), (10, 40), (6, 40), (9, 5), (10, 5)):
            RecommendationFactory(score=score, created_at=ago(days_ago), updated_at=ago(days_ago))
        for csat, ces, days_ago in ((5, 2, 70), (2, 6, 40), (4, 3, 40), (5, 1, 5)):
            ThreadFeedbackFactory(csat=csat, ces=ces, created_at=ago(days_ago))
        db.session.commit()
    screens = browser("marketer")
    page = screens.page
    page.goto(f"{live_server}/console/voice")
    sign_in(page, marketer.email)
    expect(page).to_have_url(f"{live_server}/console/voice")
    for chart in ("#nps-chart", "#csat-chart", "#ces-chart"):
        expect(page.locator(f"{chart} circle[data-series]")).to_have_count(3)  # three months with answers
        expect(page.locator(f"{chart} path.line")).to_be_visible()
    line = page.locator("#nps-chart path.line").bounding_box()
    assert line["width"] > 100 and line["height"] > 10  # drawn across the months, rising and falling
    values = [float(point.get_attribute("data-value")) for point in page.locator("#nps-chart circle").all()]
    assert values == [33.33, 0.0, 100.0]  # (2 - 1) of 3, (1 - 1) of 2, 2 promoters of 2
    screens.shot("voice")
    page.click("nav.sidebar >> text=Journey funnel")
    expect(page.locator("#journey-funnel")).to_be_visible()
    screens.shot("journey-funnel")
    page.click("nav.sidebar >> text=Customers at risk")
    expect(page.locator("#customers")).to_be_visible()
    screens.shot("customers-at-risk")


def test_a_customer_at_risk_shows_why(browser, live_server, app, auth):
    marketer = auth.member("marketer")
    with app.app_context():
        kim = MemberFactory(member_type="customer", created_at=ago(200), display_name="Kim Quiet")
        RecommendationFactory(member=kim, score=3, updated_at=ago(10))
        ThreadFeedbackFactory(thread=ThreadFactory(author=kim), csat=4, ces=2, created_at=ago(5))
        stages.refresh_journeys([kim])
        health.update_batch([kim])
        db.session.commit()
        kim_id = kim.id
    screens = browser("marketer")
    page = screens.page
    page.goto(f"{live_server}/console/customers/at-risk")
    sign_in(page, marketer.email)
    row = page.locator(f"#customers tr[data-member='{kim_id}']")
    expect(row.locator(".health-value")).to_have_text("45")
    expect(row.locator(".reasons li")).to_have_count(4)
    expect(row.locator(".reasons li[data-signal=silence]")).to_contain_text("No activity since joining 200 days ago")
    screens.shot("customers-at-risk")
    page.click(".tabs a[data-value=healthy]")
    expect(page.locator("#customers .empty")).to_be_visible()
    screens.shot("healthy")


def test_a_member_is_sent_away_from_leads_and_attribution(browser, live_server, auth):
    member = auth.member("member", display_name="Mo Member")
    screens = browser("member")
    page = screens.page
    page.goto(f"{live_server}/console/sign-in")
    sign_in(page, member.email)
    expect(page).to_have_url(f"{live_server}/console/sign-in")
    expect(page.locator(".flash-error")).to_contain_text("The console is for staff")
    screens.shot("signed-in")
    for path in ("/console/leads", "/console/attribution"):
        page.goto(f"{live_server}{path}")
        expect(page).to_have_url(f"{live_server}/console/sign-in")
        expect(page.locator(".notice")).to_contain_text("Mo Member, who has no staff role")
        expect(page.locator("nav.sidebar")).to_have_count(0)
        screens.shot(path.rsplit("/", 1)[-1])


def test_pages_fit_a_phone_screen(browser, live_server, auth):
    admin = auth.member("admin")
    screens = browser("admin-phone", width=390)
    page = screens.page
    page.goto(f"{live_server}/console/sign-in")
    sign_in(page, admin.email)
    for path in (
        "/console/leads",
        "/console/attribution",
        "/console/growth",
        "/console/moderation",
        "/console/journey",
        "/console/voice",
        "/console/customers/at-risk",
    ):
        page.goto(f"{live_server}{path}")
        expect(page.locator("nav.sidebar a.active")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{path} scrolls sideways"
        screens.shot(path.rsplit("/", 1)[-1])
