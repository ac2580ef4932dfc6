"""Member journeys and the journey funnel."""

from marshmallow import fields, validate

from core.schemas import BaseSchema, DateRangeArgsSchema
from journey.models import CHANNELS, STAGES


class StageEntrySchema(BaseSchema):
    stage = fields.String(metadata={"description": f"One of: {', '.join(STAGES)}"})
    entered_at = fields.DateTime()


class CampaignRefSchema(BaseSchema):
    id = fields.Integer()
    name = fields.String(allow_none=True)


class DiscoveredViaSchema(BaseSchema):
    channel = fields.String(metadata={"description": f"One of: {', '.join(CHANNELS)}"})
    referrer_id = fields.Integer(allow_none=True, metadata={"description": "The peer whose link or code brought them"})
    campaign = fields.Nested(CampaignRefSchema, allow_none=True)


class MemberJourneySchema(BaseSchema):
    member_id = fields.Integer()
    stage = fields.String(metadata={"description": "The furthest stage reached"})
    stages = fields.List(fields.Nested(StageEntrySchema), metadata={"description": "Every stage entered, in order"})
    discovered_via = fields.Nested(DiscoveredViaSchema)


class JourneyFunnelArgsSchema(DateRangeArgsSchema):
    discovered_via = fields.String(
        validate=validate.OneOf(CHANNELS), metadata={"description": "Only members discovered this way"}
    )


class JourneyFunnelStageSchema(BaseSchema):
    stage = fields.String()
    members = fields.Integer(metadata={"description": "Members who reached this stage (or a later one)"})
    rate_from_previous = fields.Float(allow_none=True)
    median_days_from_discovery = fields.Float(allow_none=True)


class JourneyFunnelSchema(BaseSchema):
    discovered_via = fields.String(allow_none=True)
    start = fields.DateTime(data_key="from", attribute="from", allow_none=True)
    end = fields.DateTime(data_key="to", attribute="to", allow_none=True)
    items = fields.List(fields.Nested(JourneyFunnelStageSchema))
