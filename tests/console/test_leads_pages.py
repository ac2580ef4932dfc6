"""The sales pages through the test client: the ranked list, a lead's why, claiming, moving, notes, accounts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import utcnow
from leads.models import Lead
from leads.services.scoring import record_activity
from tests.console.conftest import post_form
from tests.factories import MemberFactory
from tests.leads.conftest import RULES, install_rules
from tests.leads.factories import LeadFactory


@pytest.fixture
def leads(app):
    """Three leads, ids in score order, highest first; the third already has an owner."""
    with app.app_context():
        install_rules(RULES)
        owner = MemberFactory(display_name="Olga Owner", roles=["sales"])
        made = [
            LeadFactory(points=90, member__display_name="Ann Top", points__organization="acme.io"),
            LeadFactory(points=60, member__display_name="Bo Middle", points__organization="globex.com"),
            LeadFactory(points=45, stage="sal", owner=owner, member__display_name="Cy Owned"),
        ]
        db.session.commit()
        return [lead.id for lead in made]


def names(page: str) -> list[str]:
    return re.findall(r'class="lead-name"[^>]*>([^<]+)<', page)


def stored(app, lead_id: int) -> Lead:
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        db.session.expunge(lead)
        return lead


def test_the_list_is_ranked_by_score(auth, leads):
    page = auth.client("sales").get("/console/leads").get_data(as_text=True)
    assert names(page) == ["Ann Top", "Bo Middle", "Cy Owned"]
    assert "90.0" in page and "Olga Owner" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("stage=sal", ["Cy Owned"]),
        ("owner=0", ["Ann Top", "Bo Middle"]),
        ("organization=globex.com", ["Bo Middle"]),
        ("min_score=50", ["Ann Top", "Bo Middle"]),
        ("q=middle", ["Bo Middle"]),
        ("stage=&owner=&min_score=", ["Ann Top", "Bo Middle", "Cy Owned"]),
    ],
)
def test_the_list_filters_as_the_api_does(auth, leads, query, expected):
    assert names(auth.client("marketer").get(f"/console/leads?{query}").get_data(as_text=True)) == expected


@pytest.mark.parametrize(
    ("query", "field"), [("min_score=lots", "min_score"), ("stage=hot", "stage"), ("owner=-1", "owner")]
)
def test_bad_filters_are_422_naming_the_field(auth, leads, query, field):
    response = auth.client("sales").get(f"/console/leads?{query}")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"<strong>{field}</strong>" in page and names(page) == []


def test_export_carries_the_filters_to_the_api_csv(auth, leads):
    client = auth.client("sales")
    page = client.get("/console/leads?stage=sal&sort=score").get_data(as_text=True)
    link = re.search(r'href="(/api/v1/leads/export\.csv[^"]*)"', page).group(1).replace("&amp;", "&")
    csv = client.get(link).get_data(as_text=True).splitlines()
    assert len(csv) == 2 and "Cy" in csv[1]


def test_the_list_pages_with_the_cursor(auth, leads):
    client = auth.client("sales")
    first = client.get("/console/leads?limit=2").get_data(as_text=True)
    assert names(first) == ["Ann Top", "Bo Middle"]
    next_page = re.search(r'href="([^"]+)">Next page', first).group(1).replace("&amp;", "&")
    assert names(client.get(next_page).get_data(as_text=True)) == ["Cy Owned"]


def test_a_lead_page_explains_the_score(app, auth):
    with app.app_context():
        install_rules(RULES)
        member = MemberFactory(display_name="Max Prospect", email="max@acme.io")
        now = utcnow()
        for days, kind in ((0, "demo_requested"), (1, "pricing_viewed"), (2, "email_unsubscribed")):
            record_activity(member.id, kind, now - timedelta(days=days), source="events")
        db.session.commit()
        lead_id = db.session.scalar(db.select(Lead.id).where(Lead.member_id == member.id))
    page = auth.client("sales").get(f"/console/leads/{lead_id}").get_data(as_text=True)
    bars = re.findall(r'class="hbar-label">([^<]+)<.*?<rect class="(pos|neg)"', page, re.S)
    assert [(label.strip(), kind) for label, kind in bars][:3] == [
        ("Demo requested", "pos"),
        ("Email unsubscribed", "neg"),
        ("Pricing viewed", "pos"),
    ]
    assert "Max Prospect" in page and "max@acme.io" in page
    timeline = page[page.index("Timeline") :]
    assert timeline.index("Demo requested") < timeline.index("Pricing viewed") < timeline.index("Email unsubscribed")


def test_unknown_lead_is_a_404_page(auth):
    response = auth.client("sales").get("/console/leads/999999")
    assert response.status_code == 404
    assert "No such lead." in response.get_data(as_text=True)


def test_claiming_makes_you_the_owner_and_an_mql_sal(app, auth, leads):
    seller = auth.client("sales")
    response = post_form(seller, f"/console/leads/{leads[0]}/claim")
    assert (response.status_code, response.headers["Location"]) == (303, f"/console/leads/{leads[0]}")
    lead = stored(app, leads[0])
    assert (lead.stage, lead.owner_id) == ("sal", seller.member.id)
    page = seller.get(response.headers["Location"]).get_data(as_text=True)
    assert "You own this lead now; it is at stage SAL." in page
    assert re.search(r'id="stage"><span class="badge stage-sal">SAL<', page)


def test_claiming_someone_elses_lead_is_409(app, auth, leads):
    seller = auth.client("sales")
    response = post_form(seller, f"/console/leads/{leads[2]}/claim")
    assert response.status_code == 409
    assert "Someone else has already claimed this lead." in response.get_data(as_text=True)
    lead = stored(app, leads[2])
    assert lead.owner_id != seller.member.id and lead.stage == "sal"


def test_moving_a_stage_and_adding_a_note(app, auth, leads):
    seller = auth.client("sales")
    moved = post_form(seller, f"/console/leads/{leads[1]}/stage", {"status": "sal"})
    noted = post_form(seller, f"/console/leads/{leads[1]}/notes", {"note": "  Budget confirmed  "})
    assert moved.status_code == noted.status_code == 303
    page = seller.get(f"/console/leads/{leads[1]}").get_data(as_text=True)
    assert "Budget confirmed" in page and seller.member.display_name in page
    assert stored(app, leads[1]).stage == "sal"
    history = page.split('id="history"')[1].split("</ol>")[0]
    assert "MQL → SAL" in history and seller.member.display_name in history


def test_the_lead_page_offers_only_the_allowed_moves_and_asks_for_what_they_need(app, auth, leads):
    seller = auth.client("sales")
    page = seller.get(f"/console/leads/{leads[1]}").get_data(as_text=True)
    offered = re.findall(r'<option value="(\w+)">', page.split('id="status"')[1].split("</select>")[0])
    assert offered == ["sal", "disqualified"]
    refused = post_form(
        seller, f"/console/leads/{leads[1]}/stage", {"status": "won", "amount": "10", "currency": "EUR"}
    )
    assert refused.status_code == 409 and "from &#39;mql&#39; to &#39;won&#39;" in refused.get_data(as_text=True)
    unexplained = post_form(seller, f"/console/leads/{leads[1]}/stage", {"status": "disqualified"})
    assert unexplained.status_code == 422 and "<strong>disqualified_reason</strong>" in unexplained.get_data(
        as_text=True
    )
    assert stored(app, leads[1]).stage == "mql"
    form = {"status": "disqualified", "disqualified_reason": "Student project", "amount": ""}
    assert post_form(seller, f"/console/leads/{leads[1]}/stage", form).status_code == 303
    page = seller.get(f"/console/leads/{leads[1]}").get_data(as_text=True)
    assert 'id="closed"' in page and "Student project" in page


def test_the_overdue_filter_lists_leads_nobody_claimed_in_time(app, auth, leads):
    admin = auth.client("admin")
    admin.put("/api/v1/leads/assignment", json={"mode": "manual", "claim_within_hours": 1})
    with app.app_context():
        db.session.execute(
            sa.update(Lead).where(Lead.id == leads[0]).values(qualified_at=utcnow() - timedelta(hours=2))
        )
        db.session.commit()
    page = auth.client("sales").get("/console/leads?overdue=true").get_data(as_text=True)
    assert re.findall(r'class="lead-name"[^>]*>([^<]+)<', page) == ["Ann Top"]
    assert auth.client("sales").get("/console/leads?overdue=maybe").status_code == 422


@pytest.mark.parametrize(
    ("path", "form", "field"),
    [("stage", {"status": "hot"}, "status"), ("stage", {}, "status"), ("notes", {"note": "   "}, "note")],
)
def test_bad_moves_and_notes_are_422_on_the_lead_page(app, auth, leads, path, form, field):
    response = post_form(auth.client("sales"), f"/console/leads/{leads[1]}/{path}", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"<strong>{field}</strong>" in page and "Bo Middle" in page
    assert stored(app, leads[1]).stage == "mql"


def test_another_sellers_lead_cannot_be_moved(app, auth, leads):
    response = post_form(auth.client("sales"), f"/console/leads/{leads[2]}/stage", {"status": "lost"})
    assert response.status_code == 403
    assert stored(app, leads[2]).stage == "sal"


def test_marketers_read_leads_without_the_sales_forms(auth, leads):
    marketer = auth.client("marketer")
    assert ">Claim<" not in marketer.get("/console/leads").get_data(as_text=True)
    page = marketer.get(f"/console/leads/{leads[0]}").get_data(as_text=True)
    assert "Claim this lead" not in page and "Sales staff claim and move leads" in page
    assert post_form(marketer, f"/console/leads/{leads[0]}/claim").status_code == 403


def test_accounts_rank_organisations(auth, leads):
    page = auth.client("sales").get("/console/accounts").get_data(as_text=True)
    organisations = re.findall(r'organization=([^"]+)">', page)
    assert organisations == ["acme.io", "globex.com"]
    assert auth.client("sales").get("/console/accounts?limit=0").status_code == 422
