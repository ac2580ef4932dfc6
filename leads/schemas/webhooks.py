"""Webhook subscriptions and their deliveries."""

from __future__ import annotations

from marshmallow import fields, validate

from core.schemas import BaseSchema
from leads.models import WEBHOOK_EVENTS


class WebhookCreateSchema(BaseSchema):
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=2000))
    events = fields.List(
        fields.String(validate=validate.OneOf(WEBHOOK_EVENTS)),
        required=True,
        validate=validate.Length(min=1, max=len(WEBHOOK_EVENTS)),
    )


class WebhookSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    url = fields.String(dump_only=True)
    events = fields.List(fields.String(), dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class NewWebhookSchema(WebhookSchema):
    secret = fields.String(
        attribute="plaintext_secret",
        dump_only=True,
        metadata={"description": "whsec_… signing secret, shown only here"},
    )


class AttemptSchema(BaseSchema):
    attempted_at = fields.DateTime()
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer()


class DeliverySchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    webhook_id = fields.Integer(dump_only=True)
    message_id = fields.String(dump_only=True)
    event_type = fields.String(dump_only=True)
    payload = fields.Dict(dump_only=True)
    status = fields.String(dump_only=True)
    attempt_count = fields.Integer(dump_only=True)
    last_status_code = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    delivered_at = fields.DateTime(dump_only=True, allow_none=True)
    attempts = fields.List(fields.Nested(AttemptSchema), dump_only=True)
