"""Journey stages from facts Peerloop already holds, each move stored with its time.

discovery: known at all (a click, a referral, an identify, a sign-up); engagement: at least one
community activity; conversion: member_type customer, or a won lead; advocacy: a customer who is a
promoter (a standing 9-10 recommendation) or whose referral converted. Members only move forward,
and a move past a stage records that stage at the same moment, so every journey is a prefix of
STAGES with non-decreasing times: each stage is entered at the first moment the member stood at it
or beyond.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from community.services import voice
from core.accounts import services as accounts
from core.accounts.models import Member
from core.database import upsert_statement
from core.extensions import db
from core.models import utcnow
from core.signals import COMMUNITY
from journey.models import STAGES, JourneyMember, StageEntry
from leads.services import history
from referrals.services import discovery

REFRESH_MEMBER_TASK = "journey.refresh_member"  # journey.tasks.refresh_member
# Referrals' touch channels as the journey names them: a personal link or code is a peer's referral.
CHANNEL_OF_TOUCH = {"link": "referral", "code": "referral", "campaign": "campaign", "share": "share"}


def discovered_via(touch: dict | None) -> dict:
    if touch is None:
        return {"channel": "organic", "referrer_id": None, "campaign_id": None}
    channel = CHANNEL_OF_TOUCH.get(touch["channel"], "referral")
    return {"channel": channel, "referrer_id": touch["referrer_id"], "campaign_id": touch["campaign_id"]}


def stage_facts(members: list[Member], converted_hints: dict[int, datetime]) -> dict[int, dict]:
    """{member_id: {stage: when its condition first held, or None}} for a batch, set-based.

    When a member became a customer is known only when it is observed (`converted_hints`, from the
    signal); otherwise it is taken as when they joined, which is right for everyone who signed up
    as a customer."""
    ids = [member.id for member in members]
    touches, engaged = discovery.first_touches(ids), history.first_activity_at(ids, source=COMMUNITY)
    won, promoted, referred = history.won_at(ids), voice.promoted_at(ids), discovery.referrals_converted_at(ids)
    facts = {}
    for member in members:
        touch = touches.get(member.id)
        discovered = min(touch["occurred_at"], member.created_at) if touch else member.created_at
        customer = (converted_hints.get(member.id) or member.created_at) if member.member_type == "customer" else None
        converted = min((t for t in (customer, won.get(member.id)) if t), default=None)
        advocated = min((t for t in (promoted.get(member.id), referred.get(member.id)) if t), default=None)
        facts[member.id] = {
            "discovery": discovered,
            "engagement": engaged.get(member.id),
            "conversion": converted,
            "advocacy": max(advocated, converted) if advocated and converted else None,
            "via": discovered_via(touch),
        }
    return facts


def planned_entries(times: dict, recorded: dict[str, datetime]) -> dict[str, datetime]:
    """Every stage up to the furthest one reached, each entered at the first moment the member stood at it
    or beyond (a customer who joined as one passed engagement then); recorded entries stand, and a new
    entry never comes before the one recorded for the stage below."""
    reached = [i for i, stage in enumerate(STAGES) if times.get(stage) or stage in recorded]
    entries: dict[str, datetime] = {}
    previous = None
    for i, stage in enumerate(STAGES[: max(reached) + 1]):
        at = recorded.get(stage) or min(times[later] for later in STAGES[i:] if times.get(later))
        if previous and stage not in recorded:
            at = max(at, previous)
        entries[stage] = previous = at
    return entries


def recorded_entries(ids: list[int]) -> dict[int, dict[str, datetime]]:
    found: dict[int, dict[str, datetime]] = {}
    rows = db.session.execute(
        sa.select(StageEntry.member_id, StageEntry.stage, StageEntry.entered_at).where(StageEntry.member_id.in_(ids))
    )
    for member_id, stage, entered_at in rows:
        found.setdefault(member_id, {})[stage] = entered_at
    return found


def save_journey(member_id: int, entries: dict[str, datetime], via: dict, recorded: dict) -> None:
    new = [{"member_id": member_id, "stage": s, "entered_at": at} for s, at in entries.items() if s not in recorded]
    if new:
        table = StageEntry.__table__
        db.session.execute(upsert_statement(table).values(new).on_conflict_do_nothing())
    stage = [s for s in STAGES if s in entries][-1]
    table = JourneyMember.__table__
    values = {"stage": stage, **via, "updated_at": utcnow()}
    stmt = upsert_statement(table).values(member_id=member_id, discovered_at=entries["discovery"], **values)
    db.session.execute(stmt.on_conflict_do_update(index_elements=[table.c.member_id], set_=values))


def refresh_journeys(members: list[Member], converted_hints: dict[int, datetime] | None = None) -> None:
    """Bring these members' journeys up to date with the facts (idempotent; safe to run concurrently)."""
    members = [member for member in members if member.erased_at is None]
    if not members:
        return
    facts = stage_facts(members, converted_hints or {})
    recorded = recorded_entries([member.id for member in members])
    for member in members:
        times = facts[member.id]
        entries = planned_entries(times, recorded.get(member.id, {}))
        save_journey(member.id, entries, times["via"], recorded.get(member.id, {}))
    db.session.flush()


def refresh_member(member_id: int, converted_at: datetime | None = None) -> None:
    member = db.session.get(Member, member_id)
    if member is not None:
        refresh_journeys([member], {member_id: converted_at} if converted_at else None)


def merge_prospect(prospect_id: int, member_id: int) -> None:
    """A prospect joins the member who verified its address: each stage keeps the earlier of the two
    entries (the person was known since the prospect's time). The prospect's own rows go with it."""
    theirs = recorded_entries([prospect_id]).get(prospect_id, {})
    mine = recorded_entries([member_id]).get(member_id, {})
    earlier = [
        {"member_id": member_id, "stage": stage, "entered_at": at}
        for stage, at in theirs.items()
        if stage not in mine or at < mine[stage]
    ]
    if earlier:
        table = StageEntry.__table__
        stmt = upsert_statement(table).values(earlier)
        keys = [table.c.member_id, table.c.stage]
        db.session.execute(
            stmt.on_conflict_do_update(index_elements=keys, set_={"entered_at": stmt.excluded.entered_at})
        )


def member_journey(member_id: int) -> dict:
    """A member's journey, brought up to date first: {member_id, stage, stages, discovered_via}."""
    member = accounts.get_member(member_id)
    refresh_journeys([member])
    stmt = sa.select(JourneyMember).where(JourneyMember.member_id == member_id)
    journey = db.session.scalars(stmt.execution_options(populate_existing=True)).one()
    names = discovery.campaign_names([journey.campaign_id] if journey.campaign_id else [])
    campaign = {"id": journey.campaign_id, "name": names.get(journey.campaign_id)} if journey.campaign_id else None
    return {
        "member_id": member_id,
        "stage": journey.stage,
        "stages": [{"stage": e.stage, "entered_at": e.entered_at} for e in sorted_entries(journey.entries)],
        "discovered_via": {"channel": journey.channel, "referrer_id": journey.referrer_id, "campaign": campaign},
    }


def sorted_entries(entries: list[StageEntry]) -> list[StageEntry]:
    return sorted(entries, key=lambda entry: STAGES.index(entry.stage))


def member_batches(size: int):
    """Every member not erased, `size` at a time by id, for the nightly refresh."""
    after = 0
    while True:
        batch = list(
            db.session.scalars(
                sa.select(Member).where(Member.id > after, Member.erased_at.is_(None)).order_by(Member.id).limit(size)
            )
        )
        if not batch:
            return
        yield batch
        after = batch[-1].id
