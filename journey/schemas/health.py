"""Customer health, its reasons, and the rules an admin changes."""

from marshmallow import ValidationError, fields, validate, validates_schema

from core.schemas import BaseSchema, DateRangeArgsSchema, PageArgsSchema
from journey.models import HEALTH_STATUSES


def points():
    return fields.Integer(
        required=True, strict=True, validate=validate.Range(-100, 0), metadata={"description": "0 switches it off"}
    )


def days(maximum: int = 3650):
    return fields.Integer(required=True, strict=True, validate=validate.Range(1, maximum))


class EngagementFallingRuleSchema(BaseSchema):
    points = points()
    recent_days = days(365)
    earlier_days = days(3650)
    ratio = fields.Float(
        required=True, validate=validate.Range(0, 1), metadata={"description": "Falling below this share of the usual"}
    )
    min_earlier = fields.Integer(
        required=True, strict=True, validate=validate.Range(1, 100_000), metadata={"description": "Activities before"}
    )


class DetractorRuleSchema(BaseSchema):
    points = points()
    within_days = days()


class LowCsatRuleSchema(BaseSchema):
    points = points()
    at_most = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    within_days = days()


class LowCesRuleSchema(BaseSchema):
    points = points()
    at_most = fields.Integer(required=True, strict=True, validate=validate.Range(1, 7))
    within_days = days()


class UnansweredRuleSchema(BaseSchema):
    points = points()
    after_days = days(365)
    within_days = days()

    @validates_schema
    def window_holds_the_wait(self, data, **kwargs):
        if data.get("after_days") and data.get("within_days") and data["after_days"] >= data["within_days"]:
            raise ValidationError("Must be longer than after_days.", field_name="within_days")


class SilenceRuleSchema(BaseSchema):
    points = points()
    days = days()


class HealthSignalsSchema(BaseSchema):
    engagement_falling = fields.Nested(EngagementFallingRuleSchema, required=True)
    detractor = fields.Nested(DetractorRuleSchema, required=True)
    low_csat = fields.Nested(LowCsatRuleSchema, required=True)
    low_ces = fields.Nested(LowCesRuleSchema, required=True)
    unanswered_question = fields.Nested(UnansweredRuleSchema, required=True)
    silence = fields.Nested(SilenceRuleSchema, required=True)


class HealthRulesSchema(BaseSchema):
    baseline = fields.Integer(required=True, strict=True, validate=validate.Range(0, 100))
    at_risk_below = fields.Integer(
        required=True, strict=True, validate=validate.Range(1, 100), metadata={"description": "At risk below this"}
    )
    signals = fields.Nested(HealthSignalsSchema, required=True)


class HealthListArgsSchema(PageArgsSchema, DateRangeArgsSchema):
    status = fields.String(validate=validate.OneOf(HEALTH_STATUSES))


class ReasonSchema(BaseSchema):
    signal = fields.String(metadata={"description": "baseline, or the signal that took points off"})
    detail = fields.String()
    points = fields.Integer()


class CustomerSchema(BaseSchema):
    id = fields.Integer()
    display_name = fields.String()
    email = fields.String()


class CustomerHealthSchema(BaseSchema):
    member = fields.Nested(CustomerSchema)
    health = fields.Integer(metadata={"description": "0-100: the sum of the reasons' points"})
    status = fields.String(metadata={"description": f"One of: {', '.join(HEALTH_STATUSES)}"})
    reasons = fields.List(fields.Nested(ReasonSchema))
    computed_at = fields.DateTime()
    status_since = fields.DateTime()
