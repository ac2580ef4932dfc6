"""Demo data for leads: scoring rules, external events, a scored population, leads in every stage."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from core.accounts.services import find_member_by_email
from core.extensions import db
from core.models import utcnow
from leads.models import LEAD_STAGES, Lead, LeadStageChange
from leads.services import ingestion, rules, sales, scoring, stages

WEB_EVENTS = ("page_viewed", "page_viewed", "pricing_viewed", "demo_requested")
PROSPECTS = [
    ("jordan.lee@northwind.io", "Jordan Lee", "VP Engineering", "Northwind", 250),
    ("sam.rivera@contoso.com", "Sam Rivera", "Head of Support", "Contoso", 1200),
    ("alex.kim@fabrikam.net", "Alex Kim", "Developer", "Fabrikam", 40),
]


def seed_demo(context: dict, progress) -> None:
    rng = context["rng"]
    rules.current_rules()  # the default rules, in force from the start
    members = [m for m in context["members"] if m.member_type != "employee"]
    now = utcnow()
    for n, member in enumerate(members):
        for _ in range(rng.randint(1, 12)):
            kind = rng.choice(WEB_EVENTS)
            if kind == "demo_requested" and n % 4:
                continue  # a quarter of the crowd asks for a demo
            occurred = now - timedelta(days=rng.uniform(0, 90))
            scoring.record_activity(
                member.id, kind, occurred, source="events", message_id=f"demo-{member.id}-{rng.random()}"
            )
    ingestion.ingest_events(segment_batch(now), "segment")
    spread_stages(context)
    progress.update(100)
    leads = db.session.scalar(sa.select(sa.func.count(Lead.id)))
    context.setdefault("summary", []).append(f"Leads: {leads} qualified leads scored from demo activity.")


def stage_details(stage: str, rng) -> dict:
    if stage == "won":
        return {"amount": Decimal(rng.randrange(20, 400) * 100), "currency": "EUR"}
    if stage == "lost":
        return {"lost_reason": rng.choice(LOST_REASONS)}
    if stage == "disqualified":
        return {"disqualified_reason": "Student project, no buying intent"}
    return {}


def backdate_history(lead: Lead, rng) -> None:
    """The moves happened over the weeks after the lead qualified, not all at seeding time."""
    moves = db.session.scalars(
        sa.select(LeadStageChange).where(LeadStageChange.lead_id == lead.id).order_by(LeadStageChange.id)
    )
    at = utcnow() - timedelta(days=rng.uniform(20, 60))
    for move in moves:
        move.at = at
        at += timedelta(days=rng.uniform(1, 6))
        if move.to_stage in ("won", "lost", "disqualified"):
            lead.closed_at = move.at
    db.session.flush()


def segment_batch(now) -> list[dict]:
    """What a website's Segment integration would send: identify, then tracks."""
    events = []
    for n, (email, name, title, company, size) in enumerate(PROSPECTS):
        user_id = f"crm-{n + 1}"
        traits = {"email": email, "name": name, "title": title, "company": {"name": company, "employee_count": size}}
        events.append({"type": "identify", "userId": user_id, "messageId": f"seed-id-{n}", "traits": traits})
        for k in range(3 + n):
            events.append(
                {"type": "track", "event": "pricing_viewed" if k % 2 else "demo_requested", "userId": user_id,
                 "messageId": f"seed-track-{n}-{k}", "timestamp": now - timedelta(days=k * 5), "properties": {}}
            )  # fmt: skip
    return events


# The way a seller walks a lead to each stage, and what the last move carries.
PATHS = {
    "mql": (),
    "sal": ("sal",),
    "sql": ("sal", "sql"),
    "won": ("sal", "sql", "won"),
    "lost": ("sal", "sql", "lost"),
    "disqualified": ("sal", "disqualified"),
}
LOST_REASONS = ("Chose a competitor", "No budget this year", "Went quiet after the demo")


def spread_stages(context: dict) -> None:
    """Walk the demo's leads along the funnel as the sales team would, so every stage has a few, with a
    history of won deals (amounts in EUR) and lost or disqualified leads, spread over the last weeks."""
    rng = context["rng"]
    sellers = [m for m in context["staff"] if "sales" in m.role_names] or context["staff"][:1]
    leads = list(db.session.scalars(sa.select(Lead).order_by(Lead.id)))
    for n, lead in enumerate(leads):
        seller = sellers[n % len(sellers)]
        for stage in PATHS[LEAD_STAGES[n % len(LEAD_STAGES)]]:
            if stage == "sal":
                sales.claim_lead(lead, seller)
            else:
                stages.move_stage(lead, stage, seller.id, stage_details(stage, rng))
        backdate_history(lead, rng)
    if find_member_by_email(PROSPECTS[0][0]) is None:
        raise RuntimeError("the demo's Segment identify did not create its prospect")
