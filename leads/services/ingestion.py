"""External events (POST /events and the Segment-compatible API) into the ledger.

A batch is stored set-based: runs of track, page and screen calls are resolved to members in one
query, inserted in one statement that skips known messageIds, and scored in a handful more
(leads.services.scoring). An identify applies on its own, before the calls that follow it.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from core.accounts.models import Member
from core.extensions import db
from core.models import utcnow
from leads.models import Activity, Identity, MemberScore
from leads.services.common import insert_ignoring_conflicts, insert_new_rows
from leads.services.prospects import member_for_email, prospect_for_email, traits_fill_profile
from leads.services.scoring import (
    MEMBER_FACTS,
    ensure_score_row,
    ledger_row,
    lock_scores,
    new_activity,
    refresh_fit,
    score_activities,
    score_stored_activities,
    store_activity,
)

logger = logging.getLogger(__name__)
TYPE_FOR_CALL = {"page": "page_viewed", "screen": "screen_viewed", "identify": "identify"}
IGNORED_CALLS = ("alias", "group")
ID_FIELDS = (("user_id", "userId"), ("anonymous_id", "anonymousId"))


def ingest_events(events: list[dict], source: str) -> dict:
    """Store a validated batch in order; duplicates (same messageId) change nothing."""
    calls = [event for event in events if event["type"] not in IGNORED_CALLS]
    runs = runs_of(calls)
    if len(runs) > 1:  # later runs read who earlier identifies made: lock everyone known up front
        lock_scores([member.id for member in resolve_members(calls) if member is not None])
    stored = 0
    for run in runs:
        stored += ingest_identify(run[0], source) if run[0]["type"] == "identify" else ingest_run(run, source)
    db.session.flush()
    ignored = len(events) - len(calls)
    return {"received": len(events), "stored": stored, "duplicates": len(calls) - stored, "ignored": ignored}


def runs_of(calls: list[dict]) -> list[list[dict]]:
    """Each identify on its own; the calls between identifies together, in order."""
    runs: list[list[dict]] = []
    for event in calls:
        if event["type"] == "identify" or not runs or runs[-1][0]["type"] == "identify":
            runs.append([event])
        else:
            runs[-1].append(event)
    return runs


def ingest_run(events: list[dict], source: str) -> int:
    """Track, page and screen calls: one query resolves them, one INSERT stores the new ones (the
    first of repeated messageIds), then they are scored together, in batch order. Returns how many
    were new."""
    members = resolve_members(events)
    rows = [event_row(event, member, source) for event, member in zip(events, members, strict=True)]
    new = {message_id for _, message_id in insert_new_rows(Activity.__table__, rows, Activity.id, Activity.message_id)}
    fresh = []
    for row in rows:
        if row["message_id"] in new:
            new.discard(row["message_id"])
            fresh.append(row)
    facts = {member.id: member for member in members if member is not None}
    score_activities([new_activity(row) for row in fresh if row["member_id"] is not None], facts)
    return len(fresh)


def ingest_identify(event: dict, source: str) -> int:
    """An identify: its ledger row, then the ids linked (making a prospect if need be)."""
    (found,) = resolve_members([event])
    member = db.session.get(Member, found.id) if found is not None else None  # its profile may change
    if store_activity(event_row(event, member, source), member) is None:
        return 0
    identify(event.get("userId"), event.get("anonymousId"), event.get("traits") or {}, member)
    return 1


def event_row(event: dict, member, source: str) -> dict:
    kind = event["type"]
    properties = event.get("properties") or {}
    if kind == "page" and event.get("name"):
        properties = {"name": event["name"], **properties}
    return ledger_row(
        member.id if member is not None else None,
        event["event"] if kind == "track" else TYPE_FOR_CALL[kind],
        event.get("timestamp") or event.get("originalTimestamp") or utcnow(),
        source=source,
        message_id=event["messageId"],
        properties=properties if kind != "identify" else {"traits": sorted(event.get("traits") or {})},
        user_id=event.get("userId"),
        anonymous_id=event.get("anonymousId"),
        **product_subject(properties),
    )


def product_subject(properties: dict) -> dict:
    """A Segment e-commerce `product_id` that is one of ours counts as product interest."""
    value = properties.get("product_id")
    if isinstance(value, str) and value.isdigit() and len(value) < 12:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31:
        return {"subject_type": "product", "subject_id": value}
    return {}


def email_in(event: dict) -> str | None:
    """The person's own email: traits.email, else context.traits.email. Never properties.email,
    which describes the event (an invitee, a form field), not who did it."""
    for container in (event.get("traits"), (event.get("context") or {}).get("traits")):
        if isinstance(container, dict) and isinstance(container.get("email"), str) and "@" in container["email"]:
            return container["email"]
    return None


def resolve_members(events: list[dict]) -> list:
    """For each event, the member linked to its userId, else its anonymousId, else whom its traits'
    email means (facts with id, member_type, email_normalized and company), or None.
    Every id of the events in one query; an email only for events no id resolved."""
    wanted = {kind: sorted({event[key] for event in events if event.get(key)}) for kind, key in ID_FIELDS}
    linked = {}
    if any(wanted.values()):
        by_kind = [sa.and_(Identity.kind == kind, Identity.external_id.in_(ids)) for kind, ids in wanted.items() if ids]
        stmt = MEMBER_FACTS.add_columns(Identity.kind, Identity.external_id).join(
            Identity, Identity.member_id == Member.id
        )
        linked = {(row.kind, row.external_id): row for row in db.session.execute(stmt.where(sa.or_(*by_kind)))}
    by_email: dict[str, Member | None] = {}
    members = []
    for event in events:
        found = [linked.get((kind, event.get(key))) for kind, key in ID_FIELDS]
        member = next((row for row in found if row is not None), None)
        email = email_in(event) if member is None else None
        if email and email not in by_email:
            by_email[email] = member_for_email(email)
        members.append(member or (by_email[email] if email else None))
    return members


def identify(user_id: str | None, anonymous_id: str | None, traits: dict, member: Member | None) -> Member | None:
    """Link the ids to the member with that email, or to a new prospect (not for an erased
    person's address); attach their past events."""
    email = traits.get("email")
    if member is None and email:
        member = prospect_for_email(email, display_name(traits, email))
    if member is None:
        return None
    for kind, external_id in (("user_id", user_id), ("anonymous_id", anonymous_id)):
        if external_id:
            values = {"kind": kind, "external_id": external_id, "member_id": member.id, "created_at": utcnow()}
            insert_ignoring_conflicts(Identity.__table__, values)
    apply_traits(member, traits)
    refresh_fit(member.id)  # a new title or company size may change fit, and so the stage
    attach_anonymous_activities(member, user_id, anonymous_id)
    return member


def display_name(traits: dict, email: str) -> str:
    name = traits.get("name") or " ".join(str(traits.get(k) or "") for k in ("firstName", "lastName")).strip()
    return (str(name) if name else email.split("@")[0])[:80]


def apply_traits(member: Member, traits: dict) -> None:
    """Fill a prospect's profile gaps from traits; a signed-up member's profile is their own.
    The company size (not a profile field) is kept for everyone."""
    if traits_fill_profile(member):
        fill_profile(member, traits)
    ensure_score_row(member)
    size = company_size(traits)
    if size is not None:
        db.session.execute(
            sa.update(MemberScore)
            .where(MemberScore.member_id == member.id)
            .values(company_size=size)
            .execution_options(synchronize_session=False)
        )


def fill_profile(member: Member, traits: dict) -> None:
    company = traits.get("company")
    company_name = company.get("name") if isinstance(company, dict) else company
    if isinstance(company_name, str) and company_name.strip() and not member.company:
        member.company = company_name.strip()[:120]
    title = traits.get("title") or traits.get("job_title")
    if isinstance(title, str) and title.strip() and not member.job_title:
        member.job_title = title.strip()[:120]
    db.session.flush()


def company_size(traits: dict) -> int | None:
    company = traits.get("company")
    candidates = [traits.get("company_size"), traits.get("employees")]
    if isinstance(company, dict):
        candidates += [company.get("employee_count"), company.get("size")]
    for value in candidates:
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 10**9:
            return int(value)
    return None


def attach_anonymous_activities(member: Member, user_id: str | None, anonymous_id: str | None) -> None:
    matches = [Activity.user_id == user_id] if user_id else []
    matches += [Activity.anonymous_id == anonymous_id] if anonymous_id else []
    if not matches:
        return
    ids = list(db.session.scalars(sa.select(Activity.id).where(Activity.member_id.is_(None), sa.or_(*matches))))
    if not ids:
        return
    db.session.execute(
        sa.update(Activity)
        .where(Activity.id.in_(ids))
        .values(member_id=member.id)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    score_stored_activities(ids)
