"""Journeys and health follow what happens: sign-ups, activity, a new member type, a won lead, scores;
the nightly tasks catch the rest; erasure and export."""

import sqlalchemy as sa

from core.accounts.models import Member
from core.accounts.services import create_prospect, mark_email_verified
from core.extensions import db
from core.models import utcnow
from journey import tasks
from journey.models import CustomerHealth, JourneyMember, StageEntry
from tests.community.factories import CategoryFactory, ProductFactory
from tests.factories import MemberFactory
from tests.journey.conftest import API, ago
from tests.leads.conftest import RULES, install_rules
from tests.leads.factories import LeadFactory


def journey_of(app, member_id: int) -> dict:
    with app.app_context():
        stages = db.session.execute(
            sa.select(StageEntry.stage, StageEntry.entered_at).where(StageEntry.member_id == member_id)
        ).all()
        row = db.session.get(JourneyMember, member_id)
        return {"stages": dict(stages), "stage": row.stage if row else None, "row": row}


def test_a_referred_sign_up_starts_a_journey(app, auth, client):
    ada = auth.member(member_type="fan")
    body = {
        "email": "new@example.com",
        "password": "long enough pw",
        "display_name": "New",
        "referral_code": ada.referral_code,
    }
    member = client.post(f"{API}/auth/signup", json=body).get_json()
    journey = journey_of(app, member["id"])
    assert journey["stage"] == "conversion"  # members sign up as customers unless told otherwise
    assert (journey["row"].channel, journey["row"].referrer_id) == ("referral", ada.id)
    assert set(journey["stages"]) == {"discovery", "engagement", "conversion"}


def test_activity_engages_and_a_new_member_type_converts_when_it_happened(app, auth):
    fan = auth.client("member", member_type="fan")
    with app.app_context():
        category_id = CategoryFactory().id
        db.session.commit()
    fan.post(f"{API}/threads", json={"category_id": category_id, "title": "First steps", "body": "Hi"})
    assert journey_of(app, fan.member.id)["stage"] == "engagement"
    before = utcnow()
    auth.client("admin").patch(f"{API}/members/{fan.member.id}", json={"member_type": "customer"})
    converted = journey_of(app, fan.member.id)["stages"]["conversion"]
    assert before <= converted <= utcnow()  # when it was seen, not when they joined


def test_a_promoter_score_makes_a_customer_an_advocate(app, auth):
    customer = auth.client("member")
    with app.app_context():
        product_id = ProductFactory().id
        db.session.commit()
    customer.post(f"{API}/products/{product_id}/recommendations", json={"score": 10, "body": "Love it"})
    assert journey_of(app, customer.member.id)["stage"] == "advocacy"


def test_a_won_lead_converts(app, auth):
    with app.app_context():
        install_rules(RULES)
        lead = LeadFactory(member=MemberFactory(member_type="fan"), stage="sql", points=50)
        db.session.commit()
        lead_id, member_id = lead.id, lead.member_id
    won = {"status": "won", "amount": "900", "currency": "EUR"}  # a won deal says for how much
    response = auth.client("admin").patch(f"{API}/leads/{lead_id}", json=won)
    assert response.status_code == 200
    journey = journey_of(app, member_id)
    assert journey["stage"] == "conversion"
    with app.app_context():
        assert db.session.get(CustomerHealth, member_id) is not None  # a customer now: health kept


def test_the_nightly_tasks_catch_what_no_signal_told(app):
    with app.app_context():
        prospect = MemberFactory(member_type="prospect", password_hash=None, created_at=ago(3))
        quiet = MemberFactory(member_type="customer", created_at=ago(300))
        ids = (prospect.id, quiet.id)
        db.session.commit()
    tasks.refresh_journeys()  # as the worker runs them: each in its own app context, committing
    moved = tasks.recompute_health()
    assert journey_of(app, ids[0])["stage"] == "discovery"
    assert moved == 0  # silent, but not (yet) at risk
    with app.app_context():
        row = db.session.get(CustomerHealth, ids[1])
        assert (row.health, [r["signal"] for r in row.reasons]) == (80, ["baseline", "silence"])


def test_erasure_drops_the_judgement_and_the_referrer_export_shows_the_journey(app, auth, client):
    ada = auth.member()
    body = {
        "email": "gone@example.com",
        "password": "long enough pw",
        "display_name": "Gone",
        "referral_code": ada.referral_code,
    }
    client.post(f"{API}/auth/signup", json=body)
    exported = client.get(f"{API}/me/export").get_json()["domains"]["journey"]
    assert exported["stage"] == "conversion" and exported["discovered_via"] == "referral"
    assert [s["stage"] for s in exported["stages"]] == ["discovery", "engagement", "conversion"]
    assert exported["health"]["health"] == 100
    member_id = client.get(f"{API}/me").get_json()["id"]
    client.delete(f"{API}/me")
    with app.app_context():
        assert db.session.get(CustomerHealth, member_id) is None
        row = db.session.get(JourneyMember, member_id)
        assert (row.stage, row.channel, row.referrer_id) == ("conversion", "referral", None)


def test_a_prospect_claimed_by_a_verified_account_brings_its_earlier_discovery(app, auth, client):
    known_since = ago(90)
    with app.app_context():  # an integration knew Pat three months before Pat signed up
        prospect = create_prospect("pat@initech.com", "Pat")
        prospect.created_at = known_since
        prospect_id = prospect.id
        db.session.commit()
    tasks.refresh_journeys()  # the nightly run (its own app context) records the prospect's discovery
    body = {"email": "pat@initech.com", "password": "long enough pw", "display_name": "Pat"}
    member_id = client.post(f"{API}/auth/signup", json=body).get_json()["id"]
    assert journey_of(app, member_id)["stages"]["discovery"] > known_since  # not verified: not joined yet
    with app.app_context():
        mark_email_verified(db.session.get(Member, member_id))
        db.session.commit()
    journey = auth.client("marketer").get(f"{API}/members/{member_id}/journey").get_json()
    assert journey["stages"][0] == {"stage": "discovery", "entered_at": known_since.isoformat()}
    assert journey_of(app, prospect_id) == {"stages": {}, "stage": None, "row": None}
