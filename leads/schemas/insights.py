"""Closed-loop scoring: insights per activity type, and a backtest of candidate rules."""

from __future__ import annotations

from marshmallow import fields

from core.schemas import BaseSchema, DateRangeArgsSchema
from leads.schemas.rules import ScoringRulesSchema

RATE = {"description": "0 to 1; null when there is nothing to divide"}


class PeriodSchema(BaseSchema):
    """The period a closed-loop result covers: the closing times it read."""

    start = fields.DateTime(data_key="from", attribute="from", allow_none=True, dump_only=True)
    end = fields.DateTime(data_key="to", attribute="to", allow_none=True, dump_only=True)
    leads = fields.Integer(dump_only=True, metadata={"description": "closed leads (won, lost, disqualified)"})
    won = fields.Integer(dump_only=True)


class InsightSchema(BaseSchema):
    activity_type = fields.String(dump_only=True)
    leads_with = fields.Integer(dump_only=True, metadata={"description": "closed leads with it before closing"})
    won_with = fields.Integer(dump_only=True)
    won_rate_with = fields.Float(dump_only=True, allow_none=True, metadata=RATE)
    won_rate_without = fields.Float(dump_only=True, allow_none=True, metadata=RATE)
    lift = fields.Float(dump_only=True, allow_none=True, metadata={"description": "won_rate_with / won_rate_without"})
    smoothed_lift = fields.Float(
        dump_only=True, allow_none=True, metadata={"description": "lift of smoothed rates; null below min_support"}
    )
    enough_data = fields.Boolean(dump_only=True)
    weight = fields.Float(dump_only=True, metadata={"description": "the weight in the current rules"})
    suggested_weight = fields.Float(dump_only=True, metadata={"description": "see docs/leads.md for the method"})


class InsightsSchema(PeriodSchema):
    won_rate = fields.Float(dump_only=True, allow_none=True, metadata=RATE)
    min_support = fields.Integer(dump_only=True)
    prior_leads = fields.Integer(dump_only=True)
    items = fields.List(fields.Nested(InsightSchema), dump_only=True)


class BacktestArgsSchema(DateRangeArgsSchema):
    """Candidate rules (the shape of PUT /leads/scoring) and the closing period to replay."""

    rules = fields.Nested(ScoringRulesSchema, required=True)


class BacktestFiguresSchema(BaseSchema):
    mql_threshold = fields.Float(dump_only=True)
    auc = fields.Float(dump_only=True, allow_none=True, metadata=RATE)
    precision = fields.Float(dump_only=True, allow_none=True, metadata=RATE)
    recall = fields.Float(dump_only=True, allow_none=True, metadata=RATE)
    won_leads_qualified = fields.Integer(dump_only=True)
    median_days_earlier = fields.Float(
        dump_only=True, allow_none=True, metadata={"description": "negative when later than they actually became MQL"}
    )


class BacktestSchema(PeriodSchema):
    lost = fields.Integer(dump_only=True, metadata={"description": "lost or disqualified"})
    candidate = fields.Nested(BacktestFiguresSchema, dump_only=True)
    current = fields.Nested(BacktestFiguresSchema, dump_only=True)
