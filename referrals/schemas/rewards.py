"""Reward rules and the reward ledger."""

from marshmallow import fields, validate

from core.accounts.schemas import MemberRefSchema
from core.routing import MAX_ID
from core.schemas import BaseSchema, PageArgsSchema, Trimmed
from referrals.models import REWARD_TRIGGERS
from referrals.schemas.links import PRINTABLE


class RewardRuleSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    campaign_id = fields.Integer(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "Only referrals through this campaign; null: all"},
    )
    trigger = fields.String(required=True, validate=validate.OneOf(REWARD_TRIGGERS))
    referrer_amount = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))
    referee_amount = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))
    unit = Trimmed(load_default="points", validate=[validate.Length(min=1, max=20), PRINTABLE])
    active = fields.Boolean(load_default=True)
    created_at = fields.DateTime(dump_only=True)


class RewardRuleUpdateSchema(BaseSchema):
    referrer_amount = fields.Integer(validate=validate.Range(min=0, max=1_000_000))
    referee_amount = fields.Integer(validate=validate.Range(min=0, max=1_000_000))
    active = fields.Boolean()


class RewardEntrySchema(BaseSchema):
    id = fields.Integer()
    member = fields.Nested(MemberRefSchema)
    side = fields.String(metadata={"description": "referrer or referee"})
    trigger = fields.String()
    amount = fields.Integer()
    unit = fields.String()
    referred_member_id = fields.Integer()
    rule_id = fields.Integer()
    created_at = fields.DateTime()


class LedgerArgsSchema(PageArgsSchema):
    member_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
