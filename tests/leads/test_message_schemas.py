"""The lean field loop of event messages (core.schemas.LeanFieldLoop) loads exactly what
marshmallow's own loop loads, and refuses exactly what it refuses, with the same messages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from core.schemas import first_problem
from leads.schemas.events import MessageSchema, SegmentBatchSchema, SegmentMessageSchema, segment_call_schema


def outcome(schema, data):
    try:
        return "loaded", schema.load(data)
    except ValidationError as error:
        return "refused", error.messages


TEXT = st.one_of(
    st.sampled_from(["page_viewed", "u1", "fit", "", " ", "a" * 121, "x" * 201, "bad\x00text", "\ud800", "é"]),
    st.text(max_size=12),
)
MOMENTS = st.one_of(
    st.sampled_from(
        [
            "2026-11-30T10:00:00+00:00",
            "2026-11-30T10:00:00Z",
            "2026-11-30T10:00:00.123456+02:00",
            "2026-11-30T10:00:00",  # naive: UTC
            "1999-12-31T23:59:59Z",  # before 2000
            "2999-01-01T00:00:00Z",  # in the future
            "2026-11-30",
            "yesterday",
        ]
    ),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)).map(
        datetime.isoformat
    ),
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False), TEXT)
JSONISH = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8
)
FIELD_VALUES = {
    "type": st.one_of(st.sampled_from(["track", "identify", "page", "screen", "alias", "group", "shout"]), SCALARS),
    "event": st.one_of(st.sampled_from(["page_viewed", "demo_requested", "fit"]), SCALARS),
    "userId": st.one_of(st.sampled_from(["u1", "u2"]), SCALARS),
    "anonymousId": st.one_of(st.just("anon-1"), SCALARS),
    "messageId": st.one_of(st.text(min_size=1, max_size=8), SCALARS),
    "timestamp": st.one_of(MOMENTS, SCALARS),
    "sentAt": st.one_of(MOMENTS, SCALARS),
    "properties": st.one_of(st.dictionaries(TEXT, JSONISH, max_size=3), JSONISH),
    "traits": st.one_of(
        st.fixed_dictionaries({"email": st.sampled_from(["a@example.com", "not-an-email", 5])}),
        st.dictionaries(TEXT, JSONISH, max_size=2),
        JSONISH,
    ),
    "context": JSONISH,
    "version": JSONISH,
    "channel": SCALARS,
    "name": SCALARS,
    "_metadata": JSONISH,  # unknown to the schema: Segment's libraries send it
    "\x00key": SCALARS,  # an unknown key that cannot be stored
}
MESSAGES = st.builds(
    lambda values, keys: {key: values[key] for key in keys},
    st.fixed_dictionaries(FIELD_VALUES),
    st.sets(st.sampled_from(sorted(FIELD_VALUES)), max_size=len(FIELD_VALUES)),
)
LIKELY_VALID = st.fixed_dictionaries(
    {"event": st.just("page_viewed"), "userId": st.just("u1"), "messageId": st.just("m1")},
    optional={
        "type": st.sampled_from(["track", "page", "identify"]),
        **{key: FIELD_VALUES[key] for key in ("timestamp", "properties", "traits", "context", "_metadata")},
    },
)


@pytest.mark.parametrize("schema_class", [MessageSchema, SegmentMessageSchema, segment_call_schema("track")])
@settings(max_examples=300, deadline=None)
@given(message=st.one_of(MESSAGES, LIKELY_VALID, JSONISH))
def test_a_message_loads_as_marshmallow_loads_it(schema_class, message):
    assert outcome(schema_class(), message) == outcome(schema_class.with_marshmallow_loop()(), message)


def test_a_batch_loads_as_marshmallow_loads_it():
    """The batch's Nested messages take the lean loop too; a bad message is named as before."""
    good = {"type": "track", "event": "page_viewed", "userId": "u1", "messageId": "m1", "_metadata": {"a": 1}}
    bodies = [
        {"batch": [good, {**good, "messageId": "m2", "timestamp": "2026-11-30T10:00:00Z"}]},
        {"batch": [good, {**good, "event": "fit"}], "sentAt": "2026-11-30T10:00:00Z"},
        {"batch": [good, {"type": "track", "userId": "u1"}]},
    ]
    loaded = outcome(SegmentBatchSchema(), bodies[0])
    assert loaded[0] == "loaded"
    assert [m["messageId"] for m in loaded[1]["batch"]] == ["m1", "m2"]
    assert "_metadata" not in loaded[1]["batch"][0]
    assert loaded[1]["batch"][1]["timestamp"] == datetime(2026, 11, 30, 10, tzinfo=UTC)
    reserved = ["'fit' is reserved for the fit points."]
    assert outcome(SegmentBatchSchema(), bodies[1]) == ("refused", {"batch.1.event": reserved})
    assert outcome(SegmentBatchSchema(), bodies[2]) == (
        "refused",
        {"batch.1.messageId": ["Missing data for required field."]},
    )


@settings(max_examples=200, deadline=None)
@given(value=JSONISH)
def test_the_one_walk_for_unstorable_text_agrees_with_the_walk_per_key(value):
    """refuse_unstorable_text walks a message once and names fields only when that walk finds a
    problem: the one walk must find one exactly when some key's walk does."""
    if isinstance(value, dict):
        assert (first_problem(value) is None) == all(first_problem([k, v]) is None for k, v in value.items())
