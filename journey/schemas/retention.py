"""Retention cohorts."""

from marshmallow import fields, validate

from core.schemas import BaseSchema, DateRangeArgsSchema

PERIODS = ("month",)


class CohortArgsSchema(DateRangeArgsSchema):
    period = fields.String(load_default="month", validate=validate.OneOf(PERIODS))


class CohortSchema(BaseSchema):
    cohort = fields.String(metadata={"description": "The month its members joined, YYYY-MM"})
    members = fields.Integer()
    active = fields.List(
        fields.Float(), metadata={"description": "Share of the cohort active in month 0 (joining), 1, 2, ..."}
    )


class CohortsSchema(BaseSchema):
    period = fields.String()
    start = fields.DateTime(data_key="from", attribute="from", allow_none=True)
    end = fields.DateTime(data_key="to", attribute="to", allow_none=True)
    items = fields.List(fields.Nested(CohortSchema))
