"""External events: Peerloop's own batch and the Segment HTTP tracking API's messages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import cache

from marshmallow import EXCLUDE, ValidationError, fields, validate, validates_schema

from core.schemas import BaseSchema, LeanFieldLoop
from leads.schemas.rules import RESERVED_TYPES

CALL_TYPES = ("track", "identify", "page", "screen", "alias", "group")
MAX_BATCH = 500
EVENT_NAME = validate.Regexp(r"^[^\x00-\x1f]{1,80}$", error="Event names are 1 to 80 printable characters.")
EXTERNAL_ID = validate.Length(min=1, max=120)
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)


def flatten(messages, prefix: str = "") -> dict:
    """{"batch": {3: {"event": [...]}}} → {"batch.3.event": [...]}: the failing event, named."""
    if not isinstance(messages, dict):
        return {prefix or "body": messages if isinstance(messages, list) else [str(messages)]}
    flat: dict = {}
    for key, value in messages.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        flat.update(flatten(value, name) if isinstance(value, dict) else {name: value})
    return flat


class MessageSchema(LeanFieldLoop):
    """One Segment-spec message (the fields Segment's libraries send)."""

    type = fields.String(validate=validate.OneOf(CALL_TYPES), load_default="track")
    event = fields.String(validate=[EVENT_NAME, RESERVED_TYPES])
    name = fields.String(validate=validate.Length(max=200), allow_none=True)
    category = fields.String(validate=validate.Length(max=200), allow_none=True)
    userId = fields.String(validate=EXTERNAL_ID, allow_none=True)
    anonymousId = fields.String(validate=EXTERNAL_ID, allow_none=True)
    previousId = fields.String(validate=EXTERNAL_ID, allow_none=True)
    groupId = fields.String(validate=EXTERNAL_ID, allow_none=True)
    properties = fields.Dict(keys=fields.String(), allow_none=True)
    traits = fields.Dict(keys=fields.String(), allow_none=True)
    context = fields.Dict(keys=fields.String(), allow_none=True)
    integrations = fields.Dict(keys=fields.String(), allow_none=True)
    timestamp = fields.AwareDateTime(default_timezone=UTC, allow_none=True)
    originalTimestamp = fields.AwareDateTime(default_timezone=UTC, allow_none=True)
    sentAt = fields.AwareDateTime(default_timezone=UTC, allow_none=True)
    receivedAt = fields.AwareDateTime(default_timezone=UTC, allow_none=True)
    messageId = fields.String(required=True, validate=validate.Length(min=1, max=120))
    version = fields.Raw(allow_none=True)
    channel = fields.String(allow_none=True, validate=validate.Length(max=40))
    writeKey = fields.String(allow_none=True, load_only=True)

    @validates_schema
    def check_message(self, data, **kwargs):
        if data.get("type", "track") == "track" and not data.get("event"):
            raise ValidationError("A track call needs an event name.", "event")
        if data.get("type") not in ("alias", "group") and not (data.get("userId") or data.get("anonymousId")):
            raise ValidationError("Give userId or anonymousId.", "userId")
        email = (data.get("traits") or {}).get("email")
        if email is not None and not (isinstance(email, str) and len(email) <= 254 and EMAIL.match(email)):
            raise ValidationError("Not a valid email address.", "traits.email")
        for name in ("timestamp", "originalTimestamp"):
            moment = data.get(name)
            if moment is not None and not EARLIEST <= moment <= datetime.now(UTC) + FUTURE_SLACK:
                raise ValidationError("Timestamps must be after 2000 and not in the future.", name)


class SegmentMessageSchema(MessageSchema):
    """A message to the Segment-compatible API: like Segment's, it ignores fields it does not know
    (Segment's libraries add `_metadata` and others). POST /events' own messages stay strict."""

    class Meta:
        unknown = EXCLUDE


class FlatErrorsSchema(BaseSchema):
    def handle_error(self, error, data, **kwargs):
        raise ValidationError(flatten(error.messages))


class SegmentBatchSchema(FlatErrorsSchema):
    """Unknown batch-level fields (e.g. `timestamp`) are ignored, as Segment's API does."""

    class Meta:
        unknown = EXCLUDE

    batch = fields.List(
        fields.Nested(SegmentMessageSchema), required=True, validate=validate.Length(min=1, max=MAX_BATCH)
    )
    sentAt = fields.AwareDateTime(default_timezone=UTC, allow_none=True)
    context = fields.Dict(keys=fields.String(), allow_none=True)
    integrations = fields.Dict(keys=fields.String(), allow_none=True)
    writeKey = fields.String(allow_none=True, load_only=True)
    messageId = fields.String(allow_none=True)


class EventBatchSchema(FlatErrorsSchema):
    events = fields.List(fields.Nested(MessageSchema), required=True, validate=validate.Length(min=1, max=MAX_BATCH))


@cache
def segment_call_schema(call: str) -> type:
    """A single-call body (POST /segment/v1/<call>): the type comes from the path."""
    return type(
        f"Segment{call.title()}Schema",
        (FlatErrorsSchema, SegmentMessageSchema),
        {"Meta": SegmentMessageSchema.Meta, "type": fields.String(validate=validate.Equal(call), load_default=call)},
    )


class IngestResultSchema(BaseSchema):
    success = fields.Boolean(dump_default=True)
    received = fields.Integer()
    stored = fields.Integer()
    duplicates = fields.Integer()
    ignored = fields.Integer()
