"""Marketing reports: their arguments (date ranges, models, windows) and results."""

from datetime import UTC, datetime, timedelta

from marshmallow import fields, post_load, validate

from core.accounts.schemas import MemberRefSchema
from core.schemas import BaseSchema, Moment, PageArgsSchema
from referrals.models import CONVERSION_KINDS, GROUPS, MODELS

DEFAULT_RANGE = timedelta(days=30)


class RangeArgsSchema(BaseSchema):
    start = Moment(data_key="from", load_default=None)
    end = Moment(data_key="to", end_of_day=True, load_default=None)
    include_flagged = fields.Boolean(load_default=False)

    @post_load
    def default_range(self, data, **kwargs):
        data["end"] = data["end"] or datetime.now(UTC)
        data["start"] = data["start"] or data["end"] - DEFAULT_RANGE
        return data


class AttributionArgsSchema(RangeArgsSchema):
    model = fields.String(load_default="last_touch", validate=validate.OneOf(MODELS))
    group_by = fields.String(load_default="referrer", validate=validate.OneOf(GROUPS))
    window_days = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1),  # which windows are stored is the report's to check (reports.check_window)
        metadata={"description": "One of the stored attribution windows (7, 14 and 30 by default); default: 30"},
    )


class LeaderboardArgsSchema(RangeArgsSchema):
    model = fields.String(load_default="linear", validate=validate.OneOf(MODELS))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class KFactorArgsSchema(RangeArgsSchema):
    period_days = fields.Integer(load_default=7, validate=validate.Range(min=1, max=366))


class FlagListArgsSchema(PageArgsSchema):
    kind = fields.String(validate=validate.OneOf(CONVERSION_KINDS))


class AttributionItemSchema(BaseSchema):
    key = fields.String()
    label = fields.String()
    clicks = fields.Integer()
    unique_visitors = fields.Integer()
    signups = fields.Float(metadata={"description": "Credited signups (fractional under multi-touch models)"})
    leads = fields.Float()
    customers = fields.Float()
    revenue = fields.Float(metadata={"description": "Won deals' amounts credited like customers, in `currency`"})
    conversion_rate = fields.Float(metadata={"description": "Credited signups per unique visitor"})


class RangeSchema(BaseSchema):
    # The reports hand back {"from": ..., "to": ...}: read those keys, not attributes named start/end.
    start = fields.DateTime(data_key="from", attribute="from")
    end = fields.DateTime(data_key="to", attribute="to")
    include_flagged = fields.Boolean()


class DumpedList(fields.List):
    """A list whose items the service already built as the nested schema dumps them (plain JSON values):
    a report of thousands of rows costs less to build than to dump field by field."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class AttributionSchema(RangeSchema):
    model = fields.String()
    group_by = fields.String()
    window_days = fields.Integer()
    currency = fields.String(
        allow_none=True, metadata={"description": "ISO 4217 code of all revenue (one currency); null before any"}
    )
    items = DumpedList(fields.Nested(AttributionItemSchema))


class FunnelStepSchema(BaseSchema):
    step = fields.String()
    count = fields.Integer()
    rate_from_previous = fields.Float(allow_none=True)


class FunnelSchema(RangeSchema):
    steps = fields.List(fields.Nested(FunnelStepSchema))


class LeaderboardItemSchema(BaseSchema):
    member = fields.Nested(MemberRefSchema)
    clicks = fields.Integer()
    signups = fields.Float()
    leads = fields.Float()
    customers = fields.Float()
    revenue = fields.Float()


class LeaderboardSchema(RangeSchema):
    model = fields.String()
    items = fields.List(fields.Nested(LeaderboardItemSchema))


class ReferredMemberSchema(BaseSchema):
    id = fields.Integer()
    display_name = fields.String()
    signed_up_at = fields.DateTime()
    flagged = fields.Boolean()
    referred = fields.List(fields.Nested(lambda: ReferredMemberSchema()))


class TreeSchema(BaseSchema):
    member = fields.Nested(MemberRefSchema)
    referred = fields.List(fields.Nested(ReferredMemberSchema))
    total_referred = fields.Integer()
    total_second_level = fields.Integer()


class KFactorItemSchema(BaseSchema):
    period_start = fields.DateTime()
    period_end = fields.DateTime()
    members_at_start = fields.Integer()
    new_members = fields.Integer()
    sharers = fields.Integer(metadata={"description": "Members whose links were clicked in the period"})
    clicks = fields.Integer()
    referred_signups = fields.Integer()
    invites_per_member = fields.Float()
    click_conversion_rate = fields.Float()
    k_factor = fields.Float(metadata={"description": "referred_signups / members_at_start"})


class KFactorSchema(RangeSchema):
    period_days = fields.Integer()
    items = fields.List(fields.Nested(KFactorItemSchema))


class FlagSchema(BaseSchema):
    id = fields.Integer()
    kind = fields.String()
    occurred_at = fields.DateTime()
    reasons = fields.List(fields.String())
    member = fields.Nested(MemberRefSchema)
    referred_by = fields.Nested(MemberRefSchema, allow_none=True)
