"""Assignment rules, round robin with lead_assigned notifications, overdue leads and the claim SLA check,
and the community and accounts events webhooks can subscribe to."""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from config import beat_schedule
from core.extensions import db
from core.models import utcnow
from core.notifications.models import Notification
from leads.models import Lead, WebhookDelivery
from leads.tasks import check_claim_sla
from tests.community.factories import ThreadFactory
from tests.leads.conftest import RULES, install_rules, qualify_member
from tests.leads.factories import LeadFactory


def put_rules(client, **rules):
    return client.put("/api/v1/leads/assignment", json={"mode": "round_robin", **rules})


def qualify(app, email: str | None = None, company: str | None = None) -> int:
    return qualify_member(app, **({"email": email} if email else {}), company=company)


def owner_of(app, lead_id: int) -> int | None:
    with app.app_context():
        return db.session.get(Lead, lead_id).owner_id


def notifications(app, member_id: int, kind: str) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(Notification).where(Notification.member_id == member_id, Notification.kind == kind)
        )
        return [n.data for n in rows]


def test_the_rules_start_manual_and_an_admin_replaces_them(auth):
    admin, sellers = auth.client("admin"), [auth.member("sales"), auth.member("sales")]
    assert auth.client("sales").get("/api/v1/leads/assignment").get_json() == {
        "mode": "manual",
        "seller_ids": [],
        "same_owner_per_organization": False,
        "claim_within_hours": None,
        "updated_at": None,
        "updated_by_id": None,
    }
    body = put_rules(admin, seller_ids=[s.id for s in sellers], claim_within_hours=24).get_json()
    assert (body["mode"], body["seller_ids"], body["claim_within_hours"]) == (
        "round_robin",
        [s.id for s in sellers],
        24,
    )
    assert admin.get("/api/v1/leads/assignment").get_json()["seller_ids"] == [s.id for s in sellers]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"mode": "lottery"}, "mode"),
        ({"seller_ids": []}, "mode"),
        ({"mode": "round_robin"}, "seller_ids"),
        ({"mode": "round_robin", "seller_ids": ["x"]}, "seller_ids"),
        ({"mode": "manual", "claim_within_hours": 0}, "claim_within_hours"),
        ({"mode": "manual", "claim_within_hours": "soon"}, "claim_within_hours"),
        ({"mode": "manual", "same_owner_per_organization": "maybe"}, "same_owner_per_organization"),
        ({"mode": "manual", "colour": "red"}, "colour"),
    ],
)
def test_bad_rules_are_422_naming_the_field(auth, payload, field):
    response = auth.client("admin").put("/api/v1/leads/assignment", json=payload)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]


def test_only_sellers_may_be_in_the_round_robin(app, auth):
    admin, member = auth.client("admin"), auth.member()
    response = put_rules(admin, seller_ids=[member.id])
    assert response.status_code == 422 and "seller_ids" in response.get_json()["errors"]
    assert put_rules(admin, seller_ids=[999999]).status_code == 422
    assert admin.get("/api/v1/leads/assignment").get_json()["mode"] == "manual"  # nothing half-written


def test_round_robin_gives_new_mqls_owners_in_turn_and_tells_them(app, auth):
    first, second = auth.member("sales"), auth.member("sales")
    put_rules(auth.client("admin"), seller_ids=[first.id, second.id])
    leads = [qualify(app) for _ in range(3)]
    assert [owner_of(app, lead) for lead in leads] == [first.id, second.id, first.id]
    assert [n["lead_id"] for n in notifications(app, first.id, "lead_assigned")] == [leads[0], leads[2]]
    seen = auth.client(second).get("/api/v1/me/notifications").get_json()["items"]
    assert [(n["kind"], n["subject_id"]) for n in seen] == [("lead_assigned", leads[1])]
    with app.app_context():
        assert db.session.get(Lead, leads[0]).claimed_at is None  # assigned is not claimed


def test_the_same_owner_per_organization_when_asked(app, auth):
    first, second = auth.member("sales"), auth.member("sales")
    put_rules(auth.client("admin"), seller_ids=[first.id, second.id], same_owner_per_organization=True)
    acme = qualify(app, "pat@acme.io")
    other = qualify(app, "kim@globex.com")
    again = qualify(app, "lou@acme.io")
    assert [owner_of(app, lead) for lead in (acme, other, again)] == [first.id, second.id, first.id]
    stated = qualify(app, "max@gmail.com", company="Acme.io")  # stated company, same organisation
    assert owner_of(app, stated) == first.id


def test_manual_mode_leaves_new_mqls_unowned(app, auth):
    lead = qualify(app)
    assert owner_of(app, lead) is None


def overdue_lead(app, hours_ago: float, owner_id=None, claimed=False) -> int:
    with app.app_context():
        install_rules(RULES)
        lead = LeadFactory(points=50, owner_id=owner_id, qualified_at=utcnow() - timedelta(hours=hours_ago))
        lead.claimed_at = utcnow() if claimed else None
        db.session.commit()
        return lead.id


def listed(client, query: str) -> list[int]:
    response = client.get(f"/api/v1/leads?{query}")
    assert response.status_code == 200, response.get_json()
    return sorted(item["id"] for item in response.get_json()["items"])


def test_overdue_lists_mqls_nobody_claimed_in_time(app, auth):
    seller = auth.client("sales")
    late, fresh = overdue_lead(app, 30), overdue_lead(app, 2)
    claimed = overdue_lead(app, 30, seller.member.id, claimed=True)
    assert listed(seller, "overdue=true") == []  # no SLA, nothing is overdue
    put_rules(auth.client("admin"), mode="manual", claim_within_hours=24)
    assert listed(seller, "overdue=true") == [late]
    assert listed(seller, "overdue=false") == sorted([fresh, claimed])
    assert listed(seller, "overdue=true&stage=sal") == []
    assert seller.get("/api/v1/leads?overdue=soon").status_code == 422
    csv = seller.get("/api/v1/leads/export.csv?overdue=true").get_data(as_text=True)
    assert len(csv.strip().splitlines()) == 2


def test_the_sla_check_fires_once_per_lead_and_notifies_the_owner(app, auth, private_webhooks, receiver):
    owner = auth.member("sales")
    admin = auth.client("admin")
    admin.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["lead.sla_breached"]})
    put_rules(admin, mode="manual", claim_within_hours=4)
    late, unowned, fresh = overdue_lead(app, 5, owner.id), overdue_lead(app, 6), overdue_lead(app, 1, owner.id)
    with app.app_context():
        assert check_claim_sla() == 2
        assert check_claim_sla() == 0  # once per lead
    bodies = [json.loads(r["body"]) for r in receiver.requests]
    assert sorted(b["data"]["lead_id"] for b in bodies) == sorted([late, unowned])
    assert {b["type"] for b in bodies} == {"lead.sla_breached"}
    assert [n["lead_id"] for n in notifications(app, owner.id, "lead_sla_breached")] == [late]
    with app.app_context():
        assert db.session.get(Lead, fresh).sla_breached_at is None


def test_the_sla_check_is_a_beat_job():
    entry = beat_schedule(60, 120)["leads-check-claim-sla"]
    assert (entry["task"], entry["schedule"]) == ("leads.check_claim_sla", 120.0)


def deliveries(app, event: str) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(sa.select(WebhookDelivery).where(WebhookDelivery.event_type == event))
        return [d.payload["data"] for d in rows]


def test_member_created_and_post_created_are_subscribable(app, auth, client, private_webhooks, receiver):
    marketer = auth.client("marketer")
    events = ["member.created", "post.created", "lead.assigned"]
    assert marketer.post("/api/v1/webhooks", json={"url": receiver.url, "events": events}).status_code == 201
    signup = {"email": "new@brand.example", "password": "a long enough passphrase", "display_name": "Newbie"}
    assert client.post("/api/v1/auth/signup", json=signup).status_code == 201
    [created] = deliveries(app, "member.created")
    assert (created["email"], created["display_name"]) == ("new@brand.example", "Newbie")
    with app.app_context():
        thread_id = ThreadFactory().id
        db.session.commit()
    poster = auth.client("member", display_name="Replier")
    post = poster.post(f"/api/v1/threads/{thread_id}/posts", json={"body": "Try turning it off and on"})
    assert post.status_code == 201
    [posted] = deliveries(app, "post.created")
    assert (posted["post_id"], posted["thread_id"], posted["display_name"]) == (
        post.get_json()["id"],
        thread_id,
        "Replier",
    )
    assert {json.loads(r["body"])["type"] for r in receiver.requests} == {"member.created", "post.created"}


def test_lead_assigned_is_a_webhook_event(app, auth, private_webhooks, receiver):
    seller = auth.member("sales")
    admin = auth.client("admin")
    admin.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["lead.assigned"]})
    put_rules(admin, seller_ids=[seller.id])
    lead = qualify(app)
    [assigned] = deliveries(app, "lead.assigned")
    assert (assigned["lead_id"], assigned["owner_id"]) == (lead, seller.id)
