"""Checked stage moves, their history, won deals' revenue and the recycling of closed leads."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import utcnow
from leads.models import Lead, LeadNote, LeadStageChange, MemberScore
from leads.services import stages
from leads.services.scoring import record_activity
from referrals.services import reports
from referrals.services.conversions import attribute_signup
from tests.factories import MemberFactory
from tests.leads.conftest import RULES, install_rules, qualify_member
from tests.leads.factories import LeadFactory

PATHS = {"mql": [], "sal": ["sal"], "sql": ["sal", "sql"], "won": ["sal", "sql", "won"]}
PATHS |= {"lost": ["sal", "sql", "lost"], "disqualified": ["disqualified"]}
DETAILS = {
    "won": {"amount": Decimal("100.00"), "currency": "EUR"},
    "lost": {"lost_reason": "Chose a competitor"},
    "disqualified": {"disqualified_reason": "No budget"},
}


def lead_at(app, stage: str, seller_id: int | None = None, **member) -> int:
    """A lead walked to `stage` through the allowed moves."""
    with app.app_context():
        install_rules(RULES)
        lead = LeadFactory(points=50, owner_id=seller_id, **{f"member__{k}": v for k, v in member.items()})
        for step in PATHS[stage]:
            stages.move_stage(lead, step, seller_id, DETAILS.get(step))
        db.session.commit()
        return lead.id


def history(app, lead_id: int) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(LeadStageChange).where(LeadStageChange.lead_id == lead_id).order_by(LeadStageChange.id)
        )
        return [(r.from_stage, r.to_stage, r.by_id, r.reason) for r in rows]


@pytest.fixture
def seller(auth):
    return auth.client("sales")


def test_a_lead_walks_the_funnel_and_every_move_is_in_its_history(app, seller):
    lead_id = lead_at(app, "mql")
    me = seller.member.id
    assert seller.post(f"/api/v1/leads/{lead_id}/claim").get_json()["stage"] == "sal"
    assert seller.patch(f"/api/v1/leads/{lead_id}", json={"status": "sql"}).status_code == 200
    won = seller.patch(f"/api/v1/leads/{lead_id}", json={"status": "won", "amount": "12500.5", "currency": "EUR"})
    assert won.status_code == 200, won.get_json()
    assert (won.get_json()["amount"], won.get_json()["currency"]) == ("12500.50", "EUR")
    body = seller.get(f"/api/v1/leads/{lead_id}/history").get_json()
    assert [(m["from"], m["to"], m["by"], m["reason"]) for m in body["items"]] == [
        ("mql", "sal", me, None),
        ("sal", "sql", me, None),
        ("sql", "won", me, None),
    ]
    assert body["items"][0]["at"] and body["next_cursor"] is None


@pytest.mark.parametrize("stage", ["mql", "sal", "sql"])
def test_any_open_stage_may_be_disqualified_with_a_reason(app, seller, stage):
    lead_id = lead_at(app, stage, seller.member.id)
    moved = seller.patch(
        f"/api/v1/leads/{lead_id}", json={"status": "disqualified", "disqualified_reason": " Student project "}
    )
    assert moved.status_code == 200 and moved.get_json()["stage"] == "disqualified"
    assert history(app, lead_id)[-1] == (stage, "disqualified", seller.member.id, "Student project")


@pytest.mark.parametrize(
    ("start", "target"),
    [("mql", "sql"), ("mql", "won"), ("mql", "lost"), ("sal", "won"), ("sal", "mql"), ("sql", "sal"),
     ("won", "mql"), ("won", "lost"), ("lost", "sal"), ("disqualified", "mql"), ("disqualified", "won")],
)  # fmt: skip
def test_any_other_move_is_409_naming_from_and_to_and_writes_nothing(app, seller, start, target):
    lead_id = lead_at(app, start, seller.member.id)
    before = history(app, lead_id)
    payload = {"status": target, "note": "tried", **DETAILS.get(target, {})}
    payload = {k: str(v) if isinstance(v, Decimal) else v for k, v in payload.items()}
    response = seller.patch(f"/api/v1/leads/{lead_id}", json=payload)
    assert response.status_code == 409, response.get_json()
    errors = response.get_json()["errors"]
    assert (errors["from"], errors["to"]) == ([start], [target])
    with app.app_context():
        assert db.session.get(Lead, lead_id).stage == start
        assert db.session.scalar(sa.select(sa.func.count(LeadNote.id)).where(LeadNote.lead_id == lead_id)) == 0
    assert history(app, lead_id) == before


@pytest.mark.parametrize(
    ("start", "payload", "field"),
    [
        ("sql", {"status": "lost"}, "lost_reason"),
        ("sql", {"status": "lost", "lost_reason": "   "}, "lost_reason"),
        ("sal", {"status": "disqualified"}, "disqualified_reason"),
        ("sal", {"status": "disqualified", "lost_reason": "x"}, "disqualified_reason"),
        ("sal", {"status": "sql", "lost_reason": "x"}, "lost_reason"),
        ("sql", {"status": "won"}, "amount"),
        ("sql", {"status": "won", "amount": "10"}, "currency"),
        ("sql", {"status": "won", "amount": "0", "currency": "EUR"}, "amount"),
        ("sql", {"status": "won", "amount": "-5", "currency": "EUR"}, "amount"),
        ("sql", {"status": "won", "amount": "lots", "currency": "EUR"}, "amount"),
        ("sql", {"status": "won", "amount": "NaN", "currency": "EUR"}, "amount"),
        ("sql", {"status": "won", "amount": "1e12", "currency": "EUR"}, "amount"),
        ("sql", {"status": "won", "amount": "10", "currency": "eur"}, "currency"),
        ("sql", {"status": "won", "amount": "10", "currency": "XQZ"}, "currency"),
        ("sql", {"status": "won", "amount": "10", "currency": "EURO"}, "currency"),
        ("sql", {"status": "sql", "amount": "10"}, "amount"),
        ("sql", {"amount": "10", "currency": "EUR"}, "amount"),
    ],
)
def test_reasons_and_deals_go_with_their_moves(app, seller, start, payload, field):
    lead_id = lead_at(app, start, seller.member.id)
    response = seller.patch(f"/api/v1/leads/{lead_id}", json=payload)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
    with app.app_context():
        assert db.session.get(Lead, lead_id).stage == start


def test_a_second_currency_is_refused_rather_than_summed(app, seller):
    first, second = lead_at(app, "sql", seller.member.id), lead_at(app, "sql", seller.member.id)
    ok = seller.patch(f"/api/v1/leads/{first}", json={"status": "won", "amount": "10", "currency": "USD"})
    assert ok.status_code == 200
    refused = seller.patch(f"/api/v1/leads/{second}", json={"status": "won", "amount": "10", "currency": "EUR"})
    assert refused.status_code == 409 and "currency" in refused.get_json()["errors"]
    with app.app_context():
        assert db.session.get(Lead, second).stage == "sql"


def test_history_pages_and_automatic_moves_have_no_author(app, auth, seller):
    lead_id = qualify_member(app)
    seller.post(f"/api/v1/leads/{lead_id}/claim")
    first = seller.get(f"/api/v1/leads/{lead_id}/history?limit=1").get_json()
    assert [(m["from"], m["to"], m["by"]) for m in first["items"]] == [(None, "mql", None)]
    rest = seller.get(f"/api/v1/leads/{lead_id}/history?limit=1&cursor={first['next_cursor']}").get_json()
    assert [(m["from"], m["to"]) for m in rest["items"]] == [("mql", "sal")]
    assert seller.get("/api/v1/leads/999999/history").status_code == 404
    assert seller.get(f"/api/v1/leads/{lead_id}/history?limit=0").status_code == 422
    assert seller.get(f"/api/v1/leads/{lead_id}/history?colour=red").status_code == 422


def test_won_revenue_is_credited_to_the_referrer_like_the_customer(app, seller):
    with app.app_context():
        referrer = MemberFactory(display_name="Ref")
        member = MemberFactory()
        attribute_signup(member, referral_code=referrer.referral_code)
        db.session.commit()
        referrer_id, member_id = referrer.id, member.id
    lead_id = lead_at(app, "sql", seller.member.id)
    with app.app_context():  # the lead of the referred member
        db.session.execute(sa.delete(MemberScore).where(MemberScore.member_id == member_id))
        lead = db.session.get(Lead, lead_id)
        db.session.execute(
            sa.update(MemberScore).where(MemberScore.member_id == lead.member_id).values(member_id=member_id)
        )
        lead.member_id = member_id
        db.session.commit()
    seller.patch(f"/api/v1/leads/{lead_id}", json={"status": "won", "amount": "1200.00", "currency": "EUR"})
    with app.app_context():
        now = utcnow()
        body = reports.attribution(model="linear", group_by="referrer", start=now - timedelta(days=1), end=now)
    item = next(i for i in body["items"] if i["key"] == str(referrer_id))
    assert (item["customers"], item["revenue"], body["currency"]) == (1.0, 1200.0, "EUR")


def close_lead(app, stage: str, days_ago: float, **member) -> int:
    lead_id = lead_at(app, stage, **member)
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        when = utcnow() - timedelta(days=days_ago)
        lead.closed_at = when
        db.session.execute(
            sa.update(MemberScore).where(MemberScore.member_id == lead.member_id).values(recyclable_since=when)
        )
        db.session.commit()
        return lead_id


def act(app, lead_id: int, activity_type: str = "demo_requested") -> Lead:
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        record_activity(lead.member_id, activity_type, utcnow(), source="events")
        db.session.commit()
        db.session.refresh(lead)
        return lead.stage, lead.owner_id


@pytest.mark.parametrize("closed", ["lost", "disqualified"])
def test_a_closed_lead_qualifying_again_after_the_recycle_days_is_an_mql_again(
    app, closed, private_webhooks, auth, receiver
):
    events = ["lead.requalified", "lead.status_changed"]
    lead_id = close_lead(app, closed, days_ago=31)
    auth.client("marketer").post("/api/v1/webhooks", json={"url": receiver.url, "events": events})
    assert act(app, lead_id) == ("mql", None)
    assert history(app, lead_id)[-1][:3] == (closed, "mql", None)
    sent = [json.loads(r["body"]) for r in receiver.requests]
    assert sorted((b["type"], b["data"]["previous_stage"], b["data"]["stage"]) for b in sent) == [
        ("lead.requalified", closed, "mql"),
        ("lead.status_changed", closed, "mql"),
    ]
    assert act(app, lead_id) == ("mql", None)  # once: it is open now
    assert [h[1] for h in history(app, lead_id)].count("mql") == 1
    assert len(receiver.requests) == 2


def test_recycling_waits_for_the_recycle_days_and_for_a_rise(app, monkeypatch):
    too_soon = close_lead(app, "lost", days_ago=29)
    assert act(app, too_soon)[0] == "lost"
    falling = close_lead(app, "lost", days_ago=40)
    assert act(app, falling, "email_unsubscribed")[0] == "lost"
    won = close_lead(app, "won", days_ago=40)
    assert act(app, won)[0] == "won"
    monkeypatch.setitem(app.config, "LEAD_RECYCLE_DAYS", 7)
    assert act(app, too_soon)[0] == "mql"


def test_recycling_needs_the_score_over_the_mql_threshold(app):
    lead_id = close_lead(app, "lost", days_ago=40)
    with app.app_context():
        member_id = db.session.get(Lead, lead_id).member_id
        db.session.execute(sa.update(MemberScore).where(MemberScore.member_id == member_id).values(engagement_sum=0.0))
        db.session.commit()
    assert act(app, lead_id, "page_viewed")[0] == "lost"  # 1 point: far below 30
