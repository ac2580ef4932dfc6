"""Lead lists, CSV export, detail, claim, PATCH and accounts through the HTTP API."""

import base64
import csv
import io
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import utcnow
from core.pagination import page as page_of
from core.pagination import page_schema
from leads.models import Lead, MemberScore
from leads.schemas.leads import LeadPageSchema, LeadSchema
from leads.services import ranking
from leads.services.rules import current_rules, decay_factor
from leads.services.sales import LeadAlreadyClaimed, claim_lead
from leads.services.scoring import record_activity
from tests.factories import MemberFactory
from tests.leads.conftest import RULES, install_rules
from tests.leads.factories import LeadFactory


@pytest.fixture
def leads(app):
    """Five leads with known scores; ids in score order, highest first."""
    with app.app_context():
        install_rules(RULES)
        made = [
            LeadFactory(
                points=90, member__email="=cmd@acme.io", member__display_name="Ann A", points__organization="acme.io"
            ),
            LeadFactory(points=70, points__fit=10, member__email="bo@acme.io", points__organization="acme.io"),
            LeadFactory(points=50, stage="sal", member__email="cy@globex.com", points__organization="globex.com"),
            LeadFactory(points=40, member__email="di@gmail.com"),
            LeadFactory(points=35, stage="won", member__email="ed@initech.com", points__organization="initech.com"),
        ]  # fmt: skip
        db.session.commit()
        return [lead.id for lead in made]


def test_list_is_ranked_by_score_with_keyset_pages(auth, leads):
    client = auth.client("sales")
    first = client.get("/api/v1/leads?limit=2").get_json()
    second = client.get(f"/api/v1/leads?limit=2&cursor={first['next_cursor']}").get_json()
    third = client.get(f"/api/v1/leads?limit=2&cursor={second['next_cursor']}").get_json()
    ids = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert ids == leads
    assert third["next_cursor"] is None
    top = first["items"][0]
    assert top["score"] == pytest.approx(90, rel=1e-6)
    assert set(top) >= {"id", "member", "email", "score", "engagement", "fit", "stage", "owner_id", "created_at"}
    assert first["items"][1]["fit"] == 10 and first["items"][1]["engagement"] == pytest.approx(60, rel=1e-6)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("stage=sal", [2]),
        ("min_score=45", [0, 1, 2]),
        ("organization=ACME.io", [0, 1]),
        ("q=globex", [2]),
        ("owner=0", [0, 1, 2, 3, 4]),
        ("sort=recent", [4, 3, 2, 1, 0]),
    ],
)
def test_list_filters(auth, leads, query, expected):
    items = auth.client("marketer").get(f"/api/v1/leads?{query}").get_json()["items"]
    assert [item["id"] for item in items] == [leads[i] for i in expected]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("stage=hot", "stage"),
        ("min_score=lots", "min_score"),
        ("owner=-1", "owner"),
        ("product=0", "product"),
        ("sort=random", "sort"),
        ("limit=1000", "limit"),
        ("cursor=%%%", "cursor"),
    ],
)
def test_list_rejects_bad_filters(auth, query, field):
    response = auth.client("sales").get(f"/api/v1/leads?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_csv_export_matches_the_list_and_is_injection_safe(auth, leads):
    client = auth.client("sales")
    response = client.get("/api/v1/leads/export.csv?min_score=36")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    listed = client.get("/api/v1/leads?min_score=36").get_json()["items"]
    assert [r["email"] for r in rows] == [("'" + i["email"]) if i["email"][0] == "=" else i["email"] for i in listed]
    assert list(rows[0]) == [
        "email", "first_name", "last_name", "company", "title", "lead_score", "stage", "owner_email", "created_at",
        "last_activity_at",
    ]  # fmt: skip
    assert rows[0]["email"] == "'=cmd@acme.io" and rows[0]["first_name"] == "Ann"
    assert [float(r["lead_score"]) for r in rows] == pytest.approx([i["score"] for i in listed], abs=0.01)


def test_csv_export_validates_filters(auth):
    response = auth.client("sales").get("/api/v1/leads/export.csv?stage=nope")
    assert response.status_code == 422 and "stage" in response.get_json()["errors"]


def test_detail_explains_the_score(app, auth):
    with app.app_context():
        install_rules(
            {**RULES, "fit_rules": [{"attribute": "email_domain", "operator": "eq", "value": "business", "points": 4}]}
        )
        member = MemberFactory(email="max@acme.io")
        now = utcnow()
        for days, kind in ((0, "demo_requested"), (30, "thread_created"), (1, "post_created"), (2, "post_created")):
            record_activity(
                member.id, kind, now - timedelta(days=days), source="community", subject_type="product", subject_id=3
            )
        db.session.commit()
        member_id = member.id
    client = auth.client("sales")
    item = client.get("/api/v1/leads").get_json()["items"][0]
    assert item["member"]["id"] == member_id
    detail = client.get(f"/api/v1/leads/{item['id']}").get_json()
    rows = {row["activity_type"]: row for row in detail["contributions"]}
    assert rows["fit"] == {"activity_type": "fit", "count": 1, "points": 4.0}
    assert rows["post_created"]["count"] == 2
    assert rows["thread_created"]["points"] == pytest.approx(2.5, rel=1e-3)
    with app.app_context():
        stored = db.session.get(MemberScore, member_id)
        score = stored.engagement_sum * decay_factor(current_rules()) + stored.fit
    assert sum(row["points"] for row in detail["contributions"]) == pytest.approx(score, rel=1e-6)
    assert detail["score"] == pytest.approx(score, rel=1e-6)
    assert detail["score"] == pytest.approx(item["score"], rel=1e-6)
    assert [a["activity_type"] for a in detail["recent_activities"]][:2] == ["demo_requested", "post_created"]
    assert detail["product_interest"][0]["product_id"] == 3 and detail["product_interest"][0]["activities"] == 4
    assert "discovery" in detail


def test_unknown_lead_is_404(auth):
    assert auth.client("sales").get("/api/v1/leads/999999").status_code == 404


def test_claim_moves_mql_to_sal_and_conflicts_for_someone_else(auth, leads):
    alice, bob = auth.client("sales"), auth.client("sales")
    claimed = alice.post(f"/api/v1/leads/{leads[0]}/claim")
    assert claimed.status_code == 200
    assert (claimed.get_json()["stage"], claimed.get_json()["owner_id"]) == ("sal", alice.member.id)
    assert alice.post(f"/api/v1/leads/{leads[0]}/claim").status_code == 200  # idempotent for the owner
    taken = bob.post(f"/api/v1/leads/{leads[0]}/claim")
    assert taken.status_code == 409
    assert bob.patch(f"/api/v1/leads/{leads[0]}", json={"status": "lost"}).status_code == 403


def test_patch_status_owner_and_note(auth, leads):
    seller, other = auth.client("sales"), auth.member("sales")
    response = seller.patch(f"/api/v1/leads/{leads[2]}", json={"status": "sql", "note": "Budget confirmed"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["stage"] == "sql" and body["notes"][0]["body"] == "Budget confirmed"
    handed = seller.patch(f"/api/v1/leads/{leads[2]}", json={"owner_id": other.id})
    assert handed.get_json()["owner_id"] == other.id


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "hot"}, "status"),
        ({"owner_id": "me"}, "owner_id"),
        ({"note": ""}, "note"),
        ({"note": "   \n\t "}, "note"),
        ({"score": 100}, "score"),
    ],
)
def test_patch_rejects_bad_input(auth, leads, payload, field):
    response = auth.client("sales").patch(f"/api/v1/leads/{leads[0]}", json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_patch_owner_must_be_a_seller(auth, leads):
    member = auth.member()
    response = auth.client("admin").patch(f"/api/v1/leads/{leads[0]}", json={"owner_id": member.id})
    assert response.status_code == 422 and "owner_id" in response.get_json()["errors"]


def test_accounts_rank_organisations_by_combined_score(auth, leads):
    body = auth.client("sales").get("/api/v1/leads/accounts?limit=2").get_json()
    assert [(a["organization"], a["members"], a["leads"]) for a in body["items"]] == [
        ("acme.io", 2, 2), ("globex.com", 1, 1),
    ]  # fmt: skip
    assert body["items"][0]["score"] == pytest.approx(160, rel=1e-6)
    rest = auth.client("sales").get(f"/api/v1/leads/accounts?cursor={body['next_cursor']}").get_json()
    assert [a["organization"] for a in rest["items"]] == ["initech.com"]


def test_product_filter_and_recent_pages(app, auth, leads):
    with app.app_context():
        lead = db.session.get(Lead, leads[3])
        record_activity(
            lead.member_id, "product_viewed", utcnow(), source="events", subject_type="product", subject_id=9
        )
        db.session.commit()
    client = auth.client("sales")
    assert [i["id"] for i in client.get("/api/v1/leads?product=9").get_json()["items"]] == [leads[3]]
    first = client.get("/api/v1/leads?sort=recent&limit=3").get_json()
    rest = client.get(f"/api/v1/leads?sort=recent&limit=3&cursor={first['next_cursor']}").get_json()
    assert [i["id"] for i in first["items"] + rest["items"]] == leads[::-1]
    assert rest["next_cursor"] is None


def test_conversions_are_reported_to_referrals(app, auth, leads, monkeypatch):
    calls = []

    def record(ids_by_kind, at, **deal):
        calls.extend((kind, deal) if any(deal.values()) else kind for kind, ids in ids_by_kind.items() if ids)

    monkeypatch.setattr("referrals.services.conversions.record_conversions_of_kinds", record)
    seller = auth.client("sales")
    seller.post(f"/api/v1/leads/{leads[0]}/claim")
    seller.patch(f"/api/v1/leads/{leads[0]}", json={"status": "sql"})
    won = seller.patch(f"/api/v1/leads/{leads[0]}", json={"status": "won", "amount": "1250.50", "currency": "EUR"})
    assert won.get_json()["stage"] == "won"
    with app.app_context():
        install_rules(RULES)
        member = MemberFactory()
        for _ in range(2):
            record_activity(member.id, "demo_requested", utcnow(), source="events")
        db.session.commit()
    assert calls == [("customer", {"revenue_minor": 125050, "currency": "EUR"}), "engaged", "lead"]


def raw_cursor(values) -> str:
    text = values if isinstance(values, str) else json.dumps(values)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("path", "values"),
    [
        ("/api/v1/leads", [None, None, None, None]),
        ("/api/v1/leads", [1.0, 0.0, 1, None]),
        ("/api/v1/leads", [1.0, 0.0, None, 20000.0]),
        ("/api/v1/leads", [1.0, 0.0, 1, 1e300]),
        ("/api/v1/leads", [1.0, 0.0, 1, -1e12]),
        ("/api/v1/leads", [1.0, 0.0, 1, 0.0]),
        ("/api/v1/leads", "[1.0, 0.0, 1, Infinity]"),
        ("/api/v1/leads", "[NaN, 0.0, 1, 20000]"),
        ("/api/v1/leads", [1e308, 1e308, 1, 20000.0]),
        ("/api/v1/leads/accounts", [None, "x", None]),
        ("/api/v1/leads/accounts", [1.0, None, 20000.0]),
        ("/api/v1/leads/accounts", [1e308, "x", 1e300]),
        ("/api/v1/leads/accounts", [1.0, "x", -1e12]),
        ("/api/v1/leads/accounts", '[NaN, "x", 20000]'),
    ],
)
def test_crafted_cursors_are_422_naming_the_cursor(auth, leads, path, values):
    response = auth.client("sales").get(path, query_string={"cursor": raw_cursor(values)})
    assert response.status_code == 422
    assert "cursor" in response.get_json()["errors"]


def test_accounts_pages_follow_their_cursor(auth, leads):
    client = auth.client("sales")
    first = client.get("/api/v1/leads/accounts?limit=1").get_json()
    second = client.get(f"/api/v1/leads/accounts?limit=1&cursor={first['next_cursor']}")
    assert second.status_code == 200 and second.get_json()["items"]


def test_a_claim_is_one_conditional_update_so_a_concurrent_claim_loses(app_ctx, rules):
    lead = LeadFactory(points=50)
    first, second = MemberFactory(), MemberFactory()
    db.session.flush()
    assert lead.owner_id is None  # what the second seller's request read
    db.session.execute(  # meanwhile the first seller's claim commits
        sa.update(Lead).where(Lead.id == lead.id).values(owner_id=first.id).execution_options(synchronize_session=False)
    )
    with pytest.raises(LeadAlreadyClaimed):
        claim_lead(lead, second)
    assert db.session.scalar(sa.select(Lead.owner_id).where(Lead.id == lead.id)) == first.id


def test_the_list_is_dumped_exactly_as_lead_schema_says(app, auth, leads):
    """The list's lean dump gives what LeadSchema would give, claimed and unclaimed leads alike."""
    seller = auth.client("sales")
    seller.post(f"/api/v1/leads/{leads[1]}/claim")
    with app.app_context():
        page = ranking.list_leads(limit=10, cursor=None)
        assert LeadPageSchema().dump(page_of(*page)) == page_schema(LeadSchema)().dump(page_of(*page))
    items = seller.get("/api/v1/leads?limit=10").get_json()["items"]
    assert items[1]["owner_id"] is not None and items[0]["claimed_at"] is None
