"""Optional double-sided rewards: rules, grants on signup / first post / customer, the ledger and its export."""

import csv
import io

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import utcnow
from core.signals import activity_recorded
from referrals.models import RewardEntry
from referrals.services.conversions import attribute_signup, record_conversion
from tests.factories import MemberFactory
from tests.referrals.factories import CampaignFactory, ClickFactory

RULE = {"trigger": "signup", "referrer_amount": 500, "referee_amount": 200, "unit": "cents"}


@pytest.fixture
def marketer(auth):
    return auth.client("marketer")


def ledger(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(RewardEntry.member_id, RewardEntry.side, RewardEntry.trigger, RewardEntry.amount).order_by(
                RewardEntry.id
            )
        )
        return [tuple(row) for row in rows]


def signup_through(browser, code, email="new@example.com") -> int:
    browser.get(f"/r/{code}")
    payload = {"email": email, "password": "long enough pw", "display_name": "New"}
    return browser.post("/api/v1/auth/signup", json=payload).get_json()["id"]


def test_signup_rewards_both_sides(app, marketer, visitor, auth):
    assert marketer.post("/api/v1/referrals/reward-rules", json=RULE).status_code == 201
    rita = auth.member()
    member_id = signup_through(visitor(), rita.referral_code)
    assert ledger(app) == [(rita.id, "referrer", "signup", 500), (member_id, "referee", "signup", 200)]


def test_flagged_signups_earn_nothing(app, marketer, visitor, auth):
    marketer.post("/api/v1/referrals/reward-rules", json=RULE)
    signup_through(visitor(), auth.member().referral_code, email="throwaway@mailinator.com")
    assert ledger(app) == []


def test_campaign_rules_apply_only_to_that_campaigns_referrals(app, marketer, visitor, auth):
    campaign = marketer.post(
        "/api/v1/referrals/campaigns", json={"name": "Friends", "landing_url": "https://brand.example/"}
    ).get_json()
    marketer.post("/api/v1/referrals/reward-rules", json={**RULE, "campaign_id": campaign["id"]})
    rita = auth.member()
    signup_through(visitor(), rita.referral_code, email="plain@example.com")
    assert ledger(app) == []
    via_campaign = signup_through(visitor(), f"{rita.referral_code}?c={campaign['slug']}", email="camp@example.com")
    assert {(m, side) for m, side, *_ in ledger(app)} == {(rita.id, "referrer"), (via_campaign, "referee")}


def test_inactive_rules_grant_nothing(app, marketer, visitor, auth):
    rule = marketer.post("/api/v1/referrals/reward-rules", json=RULE).get_json()
    assert marketer.patch(f"/api/v1/referrals/reward-rules/{rule['id']}", json={"active": False}).status_code == 200
    signup_through(visitor(), auth.member().referral_code)
    assert ledger(app) == []


def test_first_post_and_customer_rewards_are_granted_once(app_ctx):
    from referrals.models import RewardRule

    db.session.add_all(
        [
            RewardRule(trigger="first_post", referrer_amount=0, referee_amount=50),
            RewardRule(trigger="customer", referrer_amount=1000, referee_amount=0),
        ]
    )
    click = ClickFactory(campaign_id=CampaignFactory().id)
    member = MemberFactory()
    attribute_signup(member, visitor_id=click.visitor_id)
    for _ in range(2):
        activity_recorded.send(
            "community",
            member_id=member.id,
            activity_type="post_created",
            occurred_at=utcnow(),
            subject_type="post",
            subject_id=1,
            properties={},
        )
        record_conversion(member.id, "customer", utcnow())
    rows = db.session.execute(sa.select(RewardEntry.member_id, RewardEntry.trigger, RewardEntry.amount)).all()
    assert sorted(rows) == sorted([(member.id, "first_post", 50), (click.referrer_id, "customer", 1000)])


def test_posts_of_unreferred_members_earn_nothing(app_ctx):
    from referrals.models import RewardRule

    db.session.add(RewardRule(trigger="first_post", referee_amount=50))
    member = MemberFactory()
    activity_recorded.send(
        "community",
        member_id=member.id,
        activity_type="thread_created",
        occurred_at=utcnow(),
        subject_type="thread",
        subject_id=1,
        properties={},
    )
    assert db.session.scalar(sa.select(sa.func.count(RewardEntry.id))) == 0


def test_ledger_lists_and_my_rewards(marketer, visitor, auth):
    marketer.post("/api/v1/referrals/reward-rules", json=RULE)
    rita = auth.member()
    signup_through(visitor(), rita.referral_code)
    items = marketer.get("/api/v1/referrals/rewards").get_json()["items"]
    assert {(i["member"]["id"], i["side"], i["amount"]) for i in items} >= {(rita.id, "referrer", 500)}
    only_rita = marketer.get(f"/api/v1/referrals/rewards?member_id={rita.id}").get_json()["items"]
    assert [i["side"] for i in only_rita] == ["referrer"]
    mine = auth.client(rita).get("/api/v1/me/rewards").get_json()["items"]
    assert [(i["amount"], i["unit"]) for i in mine] == [(500, "cents")]
    rules = marketer.get("/api/v1/referrals/reward-rules").get_json()["items"]
    assert [r["trigger"] for r in rules] == ["signup"]


def test_ledger_export_is_csv_safe_for_spreadsheets(marketer, visitor, auth):
    marketer.post("/api/v1/referrals/reward-rules", json=RULE)
    rita = auth.member(display_name='=HYPERLINK("http://evil")')
    signup_through(visitor(), rita.referral_code)
    response = marketer.get("/api/v1/referrals/rewards/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    referrer = next(r for r in rows if r["side"] == "referrer")
    assert referrer["member_id"] == str(rita.id) and referrer["amount"] == "500" and referrer["email"] == rita.email
    assert referrer["display_name"].startswith("'=")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**RULE, "trigger": "first_login"}, "trigger"),
        ({k: v for k, v in RULE.items() if k != "trigger"}, "trigger"),
        ({**RULE, "referrer_amount": -1}, "referrer_amount"),
        ({**RULE, "referee_amount": 10**9}, "referee_amount"),
        ({**RULE, "referee_amount": "lots"}, "referee_amount"),
        ({**RULE, "unit": ""}, "unit"),
        ({**RULE, "unit": "   "}, "unit"),
        ({**RULE, "campaign_id": 999999}, "campaign_id"),
        ({**RULE, "campaign_id": 99999999999999999999}, "campaign_id"),
        ({**RULE, "campaign_id": 3_000_000_000}, "campaign_id"),
        ({**RULE, "campaign_id": 2**31}, "campaign_id"),
        ({**RULE, "campaign_id": 0}, "campaign_id"),
        ({**RULE, "bonus": 1}, "bonus"),
    ],
)
def test_bad_reward_rules_name_the_field(marketer, payload, field):
    response = marketer.post("/api/v1/referrals/reward-rules", json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize(("payload", "field"), [({"trigger": "signup"}, "trigger"), ({"active": "perhaps"}, "active")])
def test_bad_rule_updates_name_the_field(marketer, payload, field):
    rule = marketer.post("/api/v1/referrals/reward-rules", json=RULE).get_json()
    response = marketer.patch(f"/api/v1/referrals/reward-rules/{rule['id']}", json=payload)
    assert response.status_code == 422 and field in response.get_json()["errors"]


def test_missing_rule_is_404(marketer):
    assert marketer.patch("/api/v1/referrals/reward-rules/999999", json={"active": False}).status_code == 404


@pytest.mark.parametrize("member_id", ["abc", "0", "3000000000", str(2**31), "99999999999999999999"])
def test_bad_ledger_filter(marketer, member_id):
    response = marketer.get(f"/api/v1/referrals/rewards?member_id={member_id}")
    assert response.status_code == 422 and "member_id" in response.get_json()["errors"]


def test_largest_ids_reach_the_database_safely(marketer):
    """2**31 - 1 is the largest id an INTEGER column holds (PostgreSQL): a plain miss, never a DataError."""
    largest = 2**31 - 1
    assert marketer.get(f"/api/v1/referrals/rewards?member_id={largest}").get_json()["items"] == []
    refused = marketer.post("/api/v1/referrals/reward-rules", json={**RULE, "campaign_id": largest})
    assert refused.status_code == 422 and "campaign_id" in refused.get_json()["errors"]
    assert marketer.get(f"/api/v1/referrals/tree/{largest}").status_code == 404
    assert marketer.get(f"/api/v1/referrals/campaigns/{largest}").status_code == 404
