"""External events (POST /events and the Segment-compatible API) into the ledger."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from core.accounts.models import Member
from core.extensions import db
from core.models import utcnow
from leads.models import Activity, Identity, MemberScore
from leads.services.common import insert_ignoring_conflicts
from leads.services.prospects import member_for_email, prospect_for_email, traits_fill_profile
from leads.services.scoring import ensure_score_row, lock_scores, record_activity, refresh_fit, score_activity

logger = logging.getLogger(__name__)
TYPE_FOR_CALL = {"page": "page_viewed", "screen": "screen_viewed", "identify": "identify"}
IGNORED_CALLS = ("alias", "group")


def ingest_events(events: list[dict], source: str) -> dict:
    """Store a validated batch in order; duplicates (same messageId) change nothing."""
    stored = duplicates = ignored = 0
    known = [None if event["type"] in IGNORED_CALLS else resolve(event) for event in events]
    lock_scores([member.id for member in known if member is not None])
    for event, member in zip(events, known, strict=True):
        if event["type"] in IGNORED_CALLS:
            ignored += 1
            continue
        if ingest_event(event, source, member):
            stored += 1
        else:
            duplicates += 1
    db.session.flush()
    return {"received": len(events), "stored": stored, "duplicates": duplicates, "ignored": ignored}


def resolve(event: dict) -> Member | None:
    return resolve_member(user_id=event.get("userId"), anonymous_id=event.get("anonymousId"), email=email_in(event))


def ingest_event(event: dict, source: str, member: Member | None = None) -> bool:
    kind = event["type"]
    occurred_at = event.get("timestamp") or event.get("originalTimestamp") or utcnow()
    ids = {"user_id": event.get("userId"), "anonymous_id": event.get("anonymousId")}
    traits = event.get("traits") or {}
    member = member or resolve(event)  # an identify earlier in the batch may have made them
    properties = event.get("properties") or {}
    if kind == "page" and event.get("name"):
        properties = {"name": event["name"], **properties}
    activity_id = record_activity(
        member.id if member is not None else None,
        event["event"] if kind == "track" else TYPE_FOR_CALL[kind],
        occurred_at,
        source=source,
        message_id=event["messageId"],
        properties=properties if kind != "identify" else {"traits": sorted(traits)},
        **product_subject(properties),
        **ids,
    )
    if activity_id is not None and kind == "identify":
        identify(ids["user_id"], ids["anonymous_id"], traits, member)
    return activity_id is not None


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


def resolve_member(*, user_id: str | None, anonymous_id: str | None, email: str | None) -> Member | None:
    """The member linked to the userId, else the anonymousId, else whom the traits' email means."""
    for kind, external_id in (("user_id", user_id), ("anonymous_id", anonymous_id)):
        if external_id:
            identity = db.session.get(Identity, (kind, external_id))
            if identity is not None:
                return db.session.get(Member, identity.member_id)
    return member_for_email(email) if email else None


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
    for activity_id in sorted(ids):
        score_activity(activity_id)
