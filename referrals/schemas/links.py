"""Referral links and campaigns."""

from marshmallow import fields, validate

from core.schemas import BaseSchema, PageArgsSchema, Trimmed

PRINTABLE = validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="Control characters are not allowed.")
UTM = {"allow_none": True, "validate": [validate.Length(max=100), PRINTABLE]}


class LinkSchema(BaseSchema):
    code = fields.String()
    url = fields.String()
    campaign_id = fields.Integer()


class CampaignSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    name = Trimmed(required=True, validate=[validate.Length(min=1, max=120), PRINTABLE])
    slug = fields.String(dump_only=True)
    landing_url = Trimmed(required=True, validate=validate.Length(min=1, max=2000))
    utm_source = Trimmed(**UTM)
    utm_medium = Trimmed(**UTM)
    utm_campaign = Trimmed(**UTM)
    active = fields.Boolean()
    created_by_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class CampaignUpdateSchema(CampaignSchema):
    """PATCH body: any field of a campaign (used with partial=True)."""


class CampaignListArgsSchema(PageArgsSchema):
    include_inactive = fields.Boolean(load_default=False)
