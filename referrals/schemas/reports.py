"""Marketing reports: their arguments (date ranges, models, windows) and results."""

from datetime import UTC, date, datetime, time, timedelta

from marshmallow import ValidationError, fields, post_load, validate

from core.accounts.schemas import MemberRefSchema
from core.schemas import BaseSchema, PageArgsSchema
from referrals.models import CONVERSION_KINDS, GROUPS, MODELS

DEFAULT_RANGE = timedelta(days=30)
MIN_YEAR, MAX_YEAR = 2000, 2999


class Moment(fields.Field):
    """An ISO 8601 date (a whole day) or datetime; naive values are UTC."""

    def __init__(self, *, end_of_day: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.end_of_day = end_of_day

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 40:
            raise ValidationError("Give an ISO 8601 date or datetime, e.g. 2026-11-01.")
        try:
            if len(value) == 10:
                day = date.fromisoformat(value)
                moment = datetime.combine(day, time()) + (timedelta(days=1) if self.end_of_day else timedelta())
            else:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except (ValueError, OverflowError):
            raise ValidationError("Give an ISO 8601 date or datetime, e.g. 2026-11-01.") from None
        if not MIN_YEAR <= moment.year <= MAX_YEAR:
            raise ValidationError(f"Give a date between {MIN_YEAR} and {MAX_YEAR}.")
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


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
    conversion_rate = fields.Float(metadata={"description": "Credited signups per unique visitor"})


class RangeSchema(BaseSchema):
    start = fields.DateTime(data_key="from")
    end = fields.DateTime(data_key="to")
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
