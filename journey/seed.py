"""Demo data for journey: a dozen people joining each month for six months and coming back less each
month (retention cohorts), two quiet customers, then every journey and every customer's health."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from core.accounts import services as accounts
from core.extensions import db
from core.models import utcnow
from journey.models import JourneyMember, StageEntry
from journey.services import health, stages
from leads.services import scoring

COHORT_MONTHS, PER_MONTH = 6, 12
RETURN_CHANCE, RETURN_DECAY = 0.9, 0.7  # chance of a visit in month k after joining: 0.9 · 0.7^k
BATCH = 500
QUIET = [("Quinn Quiet", "quinn.quiet@globex.com"), ("Rowan Rest", "rowan.rest@initech.com")]


def seed_demo(context: dict, progress) -> None:
    rng, now = context["rng"], utcnow()
    joined = [seed_joiner(rng, n, now) for n in range(COHORT_MONTHS * PER_MONTH)]
    quiet = [seed_quiet_customer(rng, name, email, now) for name, email in QUIET]
    # The seeders before this one moved sign-ups and clicks into the past after some journeys were
    # already recorded (as the actions happened): start them again from the facts as they now stand.
    db.session.execute(sa.delete(StageEntry))
    db.session.execute(sa.delete(JourneyMember))
    for batch in stages.member_batches(BATCH):
        stages.refresh_journeys(batch)
    for batch in health.customer_batches(BATCH):
        health.update_batch(batch)
    at_risk = health.status_counts().get("at_risk", 0)
    context.setdefault("summary", []).append(
        f"Journey: {len(joined)} fans joined over {COHORT_MONTHS} months, {len(quiet)} quiet customers, "
        f"{at_risk} customers at risk."
    )
    progress.update(100)


def seed_joiner(rng, n: int, now):
    """A fan who joined some months ago and visited the site in some of the months since, fewer as time goes by."""
    member = accounts.create_member(f"fan{n}@fans.example", None, f"Fan {n}", member_type="fan")
    member.created_at = now - timedelta(days=30 * (n // PER_MONTH) + rng.uniform(1, 29))
    month = 0
    while member.created_at + timedelta(days=30 * month) < now:
        if rng.random() < RETURN_CHANCE * RETURN_DECAY**month:
            at = min(member.created_at + timedelta(days=30 * month + rng.uniform(0, 29)), now)
            scoring.record_activity(member.id, "page_viewed", at, source="events", message_id=f"demo-j-{n}-{month}")
        month += 1
    return member


def seed_quiet_customer(rng, name: str, email: str, now):
    """A customer who was busy months ago and has not been seen for weeks: silence, engagement falling."""
    member = accounts.create_member(email, None, name, member_type="customer")
    member.created_at = now - timedelta(days=200)
    for n in range(8):
        at = now - timedelta(days=rng.uniform(45, 150))
        scoring.record_activity(member.id, "pricing_viewed", at, source="events", message_id=f"demo-q-{member.id}-{n}")
    return member
