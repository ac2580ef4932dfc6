"""Erasure and export of what leads holds about a member, and the demo seeder."""

import random

import sqlalchemy as sa

from core.accounts.services import erase_member, export_member
from core.extensions import db
from core.models import utcnow
from leads.models import Activity, Identity, Lead, LeadNote, LeadStageChange
from leads.seed import seed_demo
from leads.services.ingestion import ingest_events
from leads.services.scoring import record_activity
from tests.factories import MemberFactory
from tests.leads.conftest import RULES, install_rules


class Progress:
    def __init__(self):
        self.total = 0

    def update(self, amount):
        self.total += amount


def test_export_lists_the_members_activities(app_ctx):
    install_rules(RULES)
    member = MemberFactory()
    record_activity(member.id, "post_created", utcnow(), source="community", properties={"thread": 3})
    section = export_member(member)["domains"]["leads"]
    assert [a["activity_type"] for a in section["activities"]] == ["post_created"]
    assert section["activities"][0]["properties"] == {"thread": 3}


def test_erasure_drops_identifying_data_but_keeps_counts(app_ctx):
    install_rules(RULES)
    identify = {"type": "identify", "userId": "crm-9", "anonymousId": "a-9", "messageId": "i-9",
                "traits": {"email": "gone@acme.io"}}  # fmt: skip
    track = {"type": "track", "event": "demo_requested", "userId": "crm-9", "messageId": "t-9",
             "properties": {"page": "/pricing"}}  # fmt: skip
    track2 = {**track, "messageId": "t-10"}
    ingest_events([identify, track, track2], "segment")
    lead = db.session.scalar(sa.select(Lead))
    lead.notes.append(LeadNote(body="Called, wants pricing"))
    db.session.flush()
    erase_member(lead.member)  # the content task runs when the caller commits
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Identity.member_id))) == 0
    rows = db.session.execute(sa.select(Activity.properties, Activity.user_id, Activity.anonymous_id)).all()
    assert len(rows) == 3 and all(row == ({}, None, None) for row in rows)
    assert db.session.scalar(sa.select(LeadNote.body)) == "[erased]"


def test_seed_demo_scores_a_population_with_leads_in_every_stage(app_ctx):
    members = [
        MemberFactory(email=f"demo{n}@acme{n % 3}.io", member_type="prospect" if n % 2 else "customer")
        for n in range(40)
    ]
    staff = [MemberFactory(email="sales@peerloop.demo", member_type="employee", roles=["sales"])]
    context = {"staff": staff, "members": members, "rng": random.Random(3)}
    progress = Progress()
    seed_demo(context, progress)
    stages = set(db.session.scalars(sa.select(Lead.stage)))
    assert stages == {"mql", "sal", "sql", "won", "lost", "disqualified"}
    won = db.session.scalars(sa.select(Lead).where(Lead.stage == "won")).all()
    assert all(lead.amount > 0 and lead.currency == "EUR" for lead in won)
    closing = db.session.scalars(
        sa.select(LeadStageChange).where(LeadStageChange.to_stage.in_(("lost", "disqualified")))
    )
    assert all(move.reason and move.by_id == staff[0].id for move in closing)
    for lead in won:  # walked there through the checked moves, over the weeks before today
        moves = db.session.scalars(
            sa.select(LeadStageChange).where(LeadStageChange.lead_id == lead.id).order_by(LeadStageChange.id)
        ).all()
        assert [m.to_stage for m in moves] == ["mql", "sal", "sql", "won"]
        assert [m.at for m in moves] == sorted(m.at for m in moves) and moves[-1].at < utcnow()
    assert progress.total == 100
    assert db.session.scalar(sa.select(sa.func.count(Activity.id)).where(Activity.source == "segment")) > 0


def test_export_includes_linked_ids_company_size_and_notes_about_the_member(app_ctx):
    install_rules(RULES)
    member = MemberFactory(email="ex@acme.io")
    db.session.flush()
    identify = {"type": "identify", "userId": "crm-77", "messageId": "e1",
                "traits": {"email": "ex@acme.io", "company": {"employee_count": 300}}}  # fmt: skip
    demos = [{"type": "track", "event": "demo_requested", "userId": "crm-77", "messageId": f"e{n}"} for n in (2, 3)]
    ingest_events([identify, *demos], "segment")
    lead = db.session.scalar(sa.select(Lead).where(Lead.member_id == member.id))
    lead.notes.append(LeadNote(body="Budget is 50k, moving jobs soon"))
    db.session.flush()
    section = export_member(member)["domains"]["leads"]
    assert [(i["kind"], i["external_id"]) for i in section["identities"]] == [("user_id", "crm-77")]
    assert section["company_size"] == 300
    assert [note["body"] for note in section["notes"]] == ["Budget is 50k, moving jobs soon"]
