"""Signups through referral links: stitching, touches in the window, stored credit, fraud flags."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.accounts.models import Member
from core.extensions import db
from core.models import utcnow
from core.signals import activity_recorded
from referrals.models import MODELS, STANDARD_WINDOWS, Conversion, Credit, MemberVisitor, RewardEntry, RewardRule, Touch
from referrals.services.conversions import attribution_windows
from tests.factories import MemberFactory
from tests.referrals.conftest import BOT
from tests.referrals.factories import ClickFactory

PASSWORD = "long enough pw"


def signup(client, email="new@example.com", **extra):
    payload = {"email": email, "password": PASSWORD, "display_name": "Newbie", **extra}
    return client.post("/api/v1/auth/signup", json=payload)


def conversion_of(app, member_id, kind="signup"):
    with app.app_context():
        return db.session.scalar(
            sa.select(Conversion).where(Conversion.member_id == member_id, Conversion.kind == kind)
        )


def credits_of(app, conversion_id, window_days=30) -> dict:
    """{model: [(referrer_id, share), ...] in touch order} in one attribution window."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(Credit.model, Touch.referrer_id, Credit.share)
            .join(Touch, Touch.id == Credit.touch_id)
            .where(Credit.conversion_id == conversion_id, Credit.window_days == window_days)
            .order_by(Credit.model, Touch.position)
        ).all()
    result: dict = {}
    for model, referrer_id, share in rows:
        result.setdefault(model, []).append((referrer_id, share))
    return result


@pytest.fixture
def activities():
    sent = []

    def receive(sender, **kwargs):
        sent.append((sender, kwargs))

    activity_recorded.connect(receive)
    yield sent
    activity_recorded.disconnect(receive)


def test_signup_after_a_click_is_a_referred_signup(app, visitor, auth, activities):
    rita = auth.member(display_name="Rita")
    browser = visitor()
    browser.get(f"/r/{rita.referral_code}?utm_source=newsletter")
    created = signup(browser)
    assert created.status_code == 201
    member_id = created.get_json()["id"]
    conversion = conversion_of(app, member_id)
    assert conversion.referred_by_id == rita.id and not conversion.flagged
    assert conversion.visitor_id == browser.get_cookie("plvid").value
    assert credits_of(app, conversion.id) == {model: [(rita.id, 1_000_000)] for model in MODELS}
    [(sender, activity)] = [a for a in activities if a[1]["activity_type"] == "referral_signup"]
    assert sender == "referrals" and activity["member_id"] == rita.id
    assert (activity["subject_type"], activity["subject_id"]) == ("member", member_id)
    with app.app_context():
        stitched = db.session.scalar(sa.select(MemberVisitor).where(MemberVisitor.member_id == member_id))
        assert stitched.visitor_id == conversion.visitor_id


def test_two_referrers_share_the_credit(app, visitor, auth):
    first, last = auth.member(), auth.member()
    browser = visitor()
    browser.get(f"/r/{first.referral_code}")
    browser.get(f"/r/{last.referral_code}")
    member_id = signup(browser).get_json()["id"]
    conversion = conversion_of(app, member_id)
    credits = credits_of(app, conversion.id)
    assert conversion.referred_by_id == last.id
    assert credits["first_touch"] == [(first.id, 1_000_000), (last.id, 0)]
    assert credits["last_touch"] == [(first.id, 0), (last.id, 1_000_000)]
    assert credits["linear"] == [(first.id, 500_000), (last.id, 500_000)]
    assert credits["position_based"] == [(first.id, 500_000), (last.id, 500_000)]
    assert sum(share for _, share in credits["time_decay"]) == 1_000_000


def test_explicit_code_without_clicks_is_one_synthetic_touch(app, client, auth):
    rita = auth.member()
    member_id = signup(client, referral_code=rita.referral_code).get_json()["id"]
    conversion = conversion_of(app, member_id)
    assert conversion.referred_by_id == rita.id and conversion.referral_code == rita.referral_code
    with app.app_context():
        [touch] = db.session.scalars(sa.select(Touch).where(Touch.conversion_id == conversion.id)).all()
    assert (touch.channel, touch.click_id, touch.referrer_id) == ("code", None, rita.id)


def test_explicit_code_of_another_referrer_adds_a_touch_at_signup(app, visitor, auth):
    clicked, named = auth.member(), auth.member()
    browser = visitor()
    browser.get(f"/r/{clicked.referral_code}")
    member_id = signup(browser, referral_code=named.referral_code).get_json()["id"]
    credits = credits_of(app, conversion_of(app, member_id).id)
    assert credits["linear"] == [(clicked.id, 500_000), (named.id, 500_000)]


def test_explicit_code_outranks_a_later_click_by_someone_else(app, client, auth):
    ann, ben = auth.member(display_name="Ann"), auth.member(display_name="Ben")
    with app.app_context():
        db.session.add(RewardRule(trigger="signup", referrer_amount=10, referee_amount=0))
        first = ClickFactory(referrer=db.session.get(Member, ann.id), days_ago=10)
        ClickFactory(referrer=db.session.get(Member, ben.id), days_ago=1, visitor_id=first.visitor_id)
        db.session.commit()
        visitor_id = first.visitor_id
    client.set_cookie("plvid", visitor_id)
    member_id = signup(client, referral_code=ann.referral_code).get_json()["id"]
    conversion = conversion_of(app, member_id)
    assert conversion.referred_by_id == ann.id and conversion.referral_code == ann.referral_code
    credits = credits_of(app, conversion.id)
    assert credits["last_touch"] == [(ann.id, 0), (ben.id, 0), (ann.id, 1_000_000)]
    assert credits["first_touch"] == [(ann.id, 1_000_000), (ben.id, 0), (ann.id, 0)]
    assert credits["linear"] == [(ann.id, 333_333), (ben.id, 333_333), (ann.id, 333_334)]
    with app.app_context():
        rewards = db.session.execute(sa.select(RewardEntry.member_id, RewardEntry.side)).all()
    assert [tuple(row) for row in rewards] == [(ann.id, "referrer")]


def test_credit_is_stored_per_window_over_the_touches_inside_it(app, client, auth):
    ann, ben = auth.member(), auth.member()
    with app.app_context():
        first = ClickFactory(referrer=db.session.get(Member, ann.id), days_ago=10)
        ClickFactory(referrer=db.session.get(Member, ben.id), days_ago=1, visitor_id=first.visitor_id)
        db.session.commit()
        visitor_id = first.visitor_id
    client.set_cookie("plvid", visitor_id)
    conversion = conversion_of(app, signup(client).get_json()["id"])
    assert credits_of(app, conversion.id, 7) == {model: [(ben.id, 1_000_000)] for model in MODELS}
    for window in (14, 30):
        credits = credits_of(app, conversion.id, window)
        assert credits["linear"] == [(ann.id, 500_000), (ben.id, 500_000)]
        assert all(sum(share for _, share in shares) == 1_000_000 for shares in credits.values())
    with app.app_context():
        windows = db.session.scalars(sa.select(Credit.window_days).distinct().order_by(Credit.window_days)).all()
    assert windows == [7, 14, 30]


WINDOWS_BY_CONFIG = [(30, (7, 14, 30)), (2, (2,)), (45, (7, 14, 30, 45)), (90, STANDARD_WINDOWS)]


@pytest.mark.parametrize(("configured", "windows"), WINDOWS_BY_CONFIG)
def test_stored_windows_follow_the_configured_window(app, monkeypatch, configured, windows):
    monkeypatch.setitem(app.config, "REFERRAL_WINDOW_DAYS", configured)
    with app.app_context():
        assert attribution_windows() == windows


def test_unknown_referral_code_aborts_the_signup(app, client):
    response = signup(client, referral_code="nosuchcode1")
    assert response.status_code == 422
    assert "referral_code" in response.get_json()["errors"]
    assert client.get("/api/v1/me").status_code == 401
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Conversion.id))) == 0


def test_signup_without_clicks_or_code_is_not_a_referral(app, client):
    member_id = signup(client).get_json()["id"]
    assert conversion_of(app, member_id) is None


def test_clicks_outside_the_window_do_not_count(app, client, auth):
    rita = auth.member()
    with app.app_context():
        click = ClickFactory(referrer=MemberFactory(), days_ago=31)
        ClickFactory(referrer=db.session.get(Member, rita.id), days_ago=29, visitor_id=click.visitor_id)
        db.session.commit()
        visitor_id = click.visitor_id
    client.set_cookie("plvid", visitor_id)
    member_id = signup(client).get_json()["id"]
    assert credits_of(app, conversion_of(app, member_id).id)["first_touch"] == [(rita.id, 1_000_000)]


def test_window_is_configurable(app, client, auth, monkeypatch):
    with app.app_context():
        click = ClickFactory(days_ago=3)
        db.session.commit()
        visitor_id = click.visitor_id
    client.set_cookie("plvid", visitor_id)
    monkeypatch.setitem(app.config, "REFERRAL_WINDOW_DAYS", 2)
    member_id = signup(client).get_json()["id"]
    assert conversion_of(app, member_id) is None


# --- fraud -----------------------------------------------------------------


def test_self_referral_through_the_same_browser_is_flagged(app, visitor, auth, activities):
    rita = auth.member()
    browser = visitor(address="198.51.100.1")
    browser.get(f"/r/{rita.referral_code}")
    first = signup(browser, email="first@example.com").get_json()
    browser.post("/api/v1/auth/logout")
    browser.get(f"/r/{first['referral_code']}")  # the new member clicks their own link...
    second = signup(browser, email="second@example.com").get_json()  # ...and signs up again
    flagged = conversion_of(app, second["id"])
    assert flagged.flagged and "self_referral" in flagged.reasons
    assert not conversion_of(app, first["id"]).flagged
    assert [a[1]["subject_id"] for a in activities if a[1]["activity_type"] == "referral_signup"] == [first["id"]]


def test_self_referral_from_the_same_address_is_flagged(app, visitor, auth):
    referrer_browser = visitor(address="198.51.100.2")
    referrer = signup(referrer_browser, email="ref@example.com").get_json()
    other_browser = visitor(address="198.51.100.2")
    other_browser.get(f"/r/{referrer['referral_code']}")
    member_id = signup(other_browser, email="sock@example.com").get_json()["id"]
    assert conversion_of(app, member_id).reasons == ["self_referral"]


@pytest.mark.parametrize(
    ("referrer_email", "new_email"),
    [("jane.doe@gmail.com", "janedoe+ref@googlemail.com"), ("bob@corp.example", "Bob+2@corp.example")],
)
def test_self_referral_by_email_alias_is_flagged(app, visitor, auth, referrer_email, new_email):
    referrer = auth.member(email=referrer_email)
    browser = visitor()
    browser.get(f"/r/{referrer.referral_code}")
    member_id = signup(browser, email=new_email).get_json()["id"]
    assert conversion_of(app, member_id).reasons == ["self_referral"]


def test_bot_clicks_are_flagged(app, visitor, auth):
    referrer = auth.member()
    bot = visitor(user_agent=BOT)
    bot.get(f"/r/{referrer.referral_code}")
    member_id = signup(bot).get_json()["id"]
    assert conversion_of(app, member_id).reasons == ["bot_user_agent"]


def test_click_floods_are_flagged(app, visitor, auth, monkeypatch):
    monkeypatch.setitem(app.config, "REFERRAL_FLOOD_CLICKS", 3)
    referrer = auth.member()
    for _ in range(3):
        visitor(address="192.0.2.9").get(f"/r/{referrer.referral_code}")
    calm = visitor(address="192.0.2.9")
    calm.get(f"/r/{referrer.referral_code}")  # the 4th click from this address within the hour
    member_id = signup(calm).get_json()["id"]
    assert conversion_of(app, member_id).reasons == ["click_flood"]


def test_clicks_under_the_flood_limit_are_fine(app, visitor, auth):
    referrer = auth.member()
    for _ in range(3):
        visitor(address="192.0.2.10").get(f"/r/{referrer.referral_code}")
    browser = visitor(address="192.0.2.10")
    browser.get(f"/r/{referrer.referral_code}")
    assert not conversion_of(app, signup(browser).get_json()["id"]).flagged


@pytest.mark.parametrize("email", ["someone@mailinator.com", "x@sub.mailinator.com"])
def test_disposable_email_is_flagged(app, client, auth, email):
    referrer = auth.member()
    member_id = signup(client, email=email, referral_code=referrer.referral_code).get_json()["id"]
    assert conversion_of(app, member_id).reasons == ["disposable_email"]


def test_flagged_conversions_keep_their_credit_rows(app, client, auth):
    referrer = auth.member()
    member_id = signup(client, email="a@mailinator.com", referral_code=referrer.referral_code).get_json()["id"]
    conversion = conversion_of(app, member_id)
    assert conversion.flagged and len(credits_of(app, conversion.id)) == len(MODELS)


def test_touches_are_capped_to_the_most_recent(app, client, auth):
    with app.app_context():
        first = ClickFactory(days_ago=20)
        for n in range(55):
            ClickFactory(visitor_id=first.visitor_id, occurred_at=utcnow() - timedelta(hours=n + 1))
        db.session.commit()
        visitor_id = first.visitor_id
    client.set_cookie("plvid", visitor_id)
    member_id = signup(client).get_json()["id"]
    credits = credits_of(app, conversion_of(app, member_id).id)
    assert len(credits["linear"]) == 50 and sum(s for _, s in credits["linear"]) == 1_000_000
