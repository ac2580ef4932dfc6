"""A batch stored set-based scores every member exactly as its events sent one by one would, and
sending it again changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.accounts.models import Member
from core.extensions import db
from core.models import utcnow
from leads.models import Activity, DailyCount, Identity, Lead, MemberScore
from leads.services.ingestion import ingest_events
from tests.factories import MemberFactory
from tests.leads.conftest import install_rules

RULES = {
    "weights": {"page_viewed": 1.0, "reaction_given": 2.0, "pricing_viewed": 8.0, "demo_requested": 30.0,
                "email_unsubscribed": -25.0},
    "daily_caps": {"reaction_given": 2, "page_viewed": 3},
    "half_life_days": 30.0,
    "thresholds": {"engaged": 5.0, "mql": 30.0},
    "fit_rules": [{"attribute": "email_domain", "operator": "eq", "value": "business", "points": 4.0}],
}  # fmt: skip
KNOWN = ("u0", "u1")  # userIds linked to signed-up members
ANONYMOUS = ("a0", "a1")  # anonymousIds an identify may link to a prospect (or a known member)
EMAILS = ("p0@acme.io", "p1@mail.example", "known0@acme.io")
TYPES = (*RULES["weights"], "unknown_thing")


def who():
    return st.one_of(
        st.sampled_from(KNOWN).map(lambda user_id: {"userId": user_id}),
        st.sampled_from(ANONYMOUS).map(lambda anonymous_id: {"anonymousId": anonymous_id}),
    )


# Days and minutes back from now: two days (caps bite), out of order within the batch.
moments = st.tuples(st.integers(0, 1), st.integers(0, 24 * 60 - 1))
tracks = st.fixed_dictionaries(
    {"type": st.sampled_from(("track", "track", "page")), "event": st.sampled_from(TYPES), "who": who(),
     "at": moments, "message": st.integers(0, 40), "times": st.integers(1, 4)}
)  # fmt: skip
identifies = st.fixed_dictionaries(
    {"type": st.just("identify"), "anonymousId": st.sampled_from(ANONYMOUS), "email": st.sampled_from(EMAILS),
     "at": moments, "message": st.integers(0, 40)}
)  # fmt: skip
batches = st.lists(st.one_of(tracks, tracks, tracks, identifies), min_size=1, max_size=30)


def events_of(specs: list[dict], now) -> list[dict]:
    """A track spec `times` times over (caps bite), with consecutive messageIds (some repeat: duplicates)."""
    return [
        event_of({**spec, "message": spec["message"] + n, "at": (spec["at"][0], spec["at"][1] + n)}, now)
        for spec in specs
        for n in range(spec.get("times", 1))
    ]


def event_of(spec: dict, now) -> dict:
    """The message as the schema loads it."""
    days, minutes = spec["at"]
    event = {
        "type": spec["type"],
        "messageId": f"m{spec['message']}",
        "timestamp": now - timedelta(days=days, minutes=minutes),
    }
    if spec["type"] == "identify":
        return {**event, "anonymousId": spec["anonymousId"], "traits": {"email": spec["email"]}}
    if spec["type"] == "page":
        return {**event, **spec["who"], "name": "Pricing"}
    return {**event, **spec["who"], "event": spec["event"], "properties": {}}


@pytest.fixture
def known(app_ctx):
    install_rules(RULES)
    for n, user_id in enumerate(KNOWN):
        member = MemberFactory(email=f"known{n}@acme.io" if n == 0 else f"known{n}@gmail.com")
        db.session.add(Identity(kind="user_id", external_id=user_id, member_id=member.id))
    db.session.flush()


def standings() -> dict[str, tuple]:
    """Every member's (S, fit, stage, lead?) and ledger, keyed by email: prospects get new ids."""
    rows = db.session.execute(
        sa.select(Member.email_normalized, MemberScore.engagement_sum, MemberScore.fit, MemberScore.stage, Lead.id)
        .join(MemberScore, MemberScore.member_id == Member.id)
        .outerjoin(Lead, Lead.member_id == Member.id)
    )
    return {email: (s, fit, stage, lead_id is not None) for email, s, fit, stage, lead_id in rows}


def ledger() -> list[tuple]:
    rows = db.session.execute(
        sa.select(Activity.message_id, Activity.activity_type, Member.email_normalized, Activity.scored)
        .outerjoin(Member, Member.id == Activity.member_id)
        .order_by(Activity.message_id)
    )
    return [tuple(row) for row in rows]


def outcome(sends: list[list[dict]]) -> tuple[dict, list, list]:
    """What the sends leave behind, then undone."""
    savepoint = db.session.begin_nested()
    try:
        results = [ingest_events(events, "segment") for events in sends]
        db.session.expire_all()
        return standings(), ledger(), results
    finally:
        savepoint.rollback()


def assert_same_scores(batched: dict, one_by_one: dict) -> None:
    assert batched.keys() == one_by_one.keys()
    for email, (s, fit, stage, is_lead) in one_by_one.items():
        assert batched[email][0] == pytest.approx(s, rel=1e-9, abs=1e-9), email
        assert batched[email][1:] == (fit, stage, is_lead), email


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=batches)
def test_a_batch_scores_everyone_as_its_events_one_by_one(known, specs):
    events = events_of(specs, utcnow())
    batched, batched_ledger, (result,) = outcome([events])
    one_by_one, single_ledger, results = outcome([[event] for event in events])
    assert_same_scores(batched, one_by_one)
    assert batched_ledger == single_ledger
    assert result["stored"] == sum(r["stored"] for r in results)
    assert result["stored"] + result["duplicates"] == len(events)


def test_replaying_a_batch_changes_nothing(known):
    now = utcnow()
    specs = [
        {"type": "track", "event": "reaction_given", "who": {"userId": "u0"}, "at": (0, 5), "message": n}
        for n in range(4)
    ] + [
        {"type": "track", "event": "page_viewed", "who": {"anonymousId": "a1"}, "at": (1, 10), "message": 10},
        {"type": "identify", "anonymousId": "a1", "email": "p0@acme.io", "at": (0, 1), "message": 11},
        {"type": "track", "event": "demo_requested", "who": {"anonymousId": "a1"}, "at": (2, 0), "message": 12},
        {"type": "track", "event": "demo_requested", "who": {"userId": "u1"}, "at": (0, 0), "message": 13},
        {"type": "track", "event": "email_unsubscribed", "who": {"userId": "u2"}, "at": (3, 0), "message": 14},
    ]
    events = [event_of(spec, now) for spec in specs]
    first = ingest_events(events, "segment")
    db.session.expire_all()
    before = standings(), ledger(), sorted(tuple(r) for r in db.session.execute(sa.select(DailyCount.__table__)))
    again = ingest_events(events, "segment")
    db.session.expire_all()
    after = standings(), ledger(), sorted(tuple(r) for r in db.session.execute(sa.select(DailyCount.__table__)))
    assert (first["stored"], again["stored"], again["duplicates"]) == (9, 0, 9)
    assert after == before
    assert before[0]["p0@acme.io"][2:] == ("lead", True)  # the prospect's history joined it on identify
    assert db.session.scalar(sa.select(sa.func.count(Lead.id))) == 1
