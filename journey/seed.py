"""Demo data for journey: members who joined over six months and came back less each month (retention
cohorts), a few quiet customers, then every journey and every customer's health computed."""

from __future__ import annotations

from datetime import timedelta

from core.accounts import services as accounts
from core.models import utcnow
from journey.services import health, stages
from leads.services import scoring

JOINED_OVER_DAYS = 180
RETURN_CHANCE, RETURN_DECAY = 0.85, 0.8  # chance of activity in month k after joining: 0.85 · 0.8^k
BATCH = 500
QUIET = [("Quinn Quiet", "quinn.quiet@globex.com"), ("Rowan Rest", "rowan.rest@initech.com")]


def seed_demo(context: dict, progress) -> None:
    rng, now = context["rng"], utcnow()
    first_joined = now - timedelta(days=JOINED_OVER_DAYS)
    joined = [m for m in context["members"] if m.member_type != "prospect" and m.created_at > now - timedelta(hours=1)]
    for member in joined:  # the referred ones already carry the day they signed up
        member.created_at = first_joined + timedelta(days=rng.uniform(0, JOINED_OVER_DAYS - 30))
        seed_returns(rng, member, now)
    quiet = [seed_quiet_customer(rng, name, email, now) for name, email in QUIET]
    for batch in stages.member_batches(BATCH):
        stages.refresh_journeys(batch)
    at_risk = sum(health.update_batch(batch) for batch in health.customer_batches(BATCH))
    context.setdefault("summary", []).append(
        f"Journey: {len(joined)} members joined over six months, {len(quiet)} quiet customers, "
        f"{at_risk} customers at risk."
    )
    progress.update(100)


def seed_returns(rng, member, now) -> None:
    """A visit to the site in some of the months since they joined, fewer as time goes by."""
    month, k = member.created_at, 0
    while month < now:
        if rng.random() < RETURN_CHANCE * RETURN_DECAY**k:
            at = min(month + timedelta(days=rng.uniform(0, 28)), now)
            scoring.record_activity(member.id, "page_viewed", at, source="events", message_id=f"demo-r-{member.id}-{k}")
        month, k = month + timedelta(days=30), k + 1


def seed_quiet_customer(rng, name: str, email: str, now):
    """A customer who was busy months ago and has not been seen for weeks: silence, engagement falling."""
    member = accounts.create_member(email, None, name, member_type="customer")
    member.created_at = now - timedelta(days=200)
    for n in range(8):
        at = now - timedelta(days=rng.uniform(45, 150))
        scoring.record_activity(member.id, "pricing_viewed", at, source="events", message_id=f"demo-q-{member.id}-{n}")
    return member
