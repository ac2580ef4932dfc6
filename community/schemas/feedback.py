"""CSAT and CES ratings, staff responses, and the voice-of-the-customer reports (NPS, CSAT, CES)."""

from marshmallow import fields, validate

from community.models import CES_SCALE, CSAT_SCALE
from community.schemas.threads import ID, NOT_BLANK, CategoryRefSchema
from core.accounts.schemas import MemberRefSchema
from core.schemas import BaseSchema, DateRangeArgsSchema, PageArgsSchema, Trimmed

GROUPS = ("month", "category")
NPS_GROUPS = ("month", "product")


class ResponseSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    body = fields.String(
        required=True, validate=[validate.Length(min=1, max=5000), NOT_BLANK], metadata={"description": "Markdown"}
    )
    body_html = fields.String(dump_only=True)
    responder = fields.Nested(MemberRefSchema, dump_only=True, allow_none=True)
    feedback_id = fields.Integer(dump_only=True, allow_none=True)
    recommendation_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class ThreadRefSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    title = fields.String(dump_only=True)
    category = fields.Nested(CategoryRefSchema, dump_only=True)


class FeedbackSchema(BaseSchema):
    """PUT /threads/<id>/feedback takes csat, ces and comment; the rest is what reads show."""

    id = fields.Integer(dump_only=True)
    thread_id = fields.Integer(dump_only=True)
    thread = fields.Nested(ThreadRefSchema, dump_only=True)
    member = fields.Nested(MemberRefSchema, dump_only=True)
    csat = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(*CSAT_SCALE),
        metadata={"description": "Satisfaction with the help, 1-5 (4 and 5: satisfied)"},
    )
    ces = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(*CES_SCALE),
        metadata={"description": "How easy getting help was, 1 (very hard) to 7 (very easy)"},
    )
    comment = Trimmed(load_default="", validate=validate.Length(max=2000))
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True, metadata={"description": "When the current rating was given"})
    responses = fields.List(fields.Nested(ResponseSchema), dump_only=True)


class FeedbackListArgsSchema(PageArgsSchema, DateRangeArgsSchema):
    category = fields.Integer(validate=ID, metadata={"description": "Category id"})


class FeedbackSummaryArgsSchema(DateRangeArgsSchema):
    group_by = fields.String(load_default="month", validate=validate.OneOf(GROUPS))
    category = fields.Integer(validate=ID, metadata={"description": "Only this category"})


class FeedbackSummaryItemSchema(BaseSchema):
    key = fields.String(metadata={"description": "YYYY-MM, or the category id"})
    label = fields.String()
    responses = fields.Integer()
    csat = fields.Float(allow_none=True, metadata={"description": "Percent of ratings 4-5, 2 decimals"})
    ces = fields.Float(allow_none=True, metadata={"description": "Mean effort score (1-7), 2 decimals"})


class ReportRangeSchema(BaseSchema):
    group_by = fields.String()
    start = fields.DateTime(data_key="from", attribute="from", allow_none=True)
    end = fields.DateTime(data_key="to", attribute="to", allow_none=True)


class FeedbackSummarySchema(ReportRangeSchema):
    category = fields.Integer(allow_none=True)
    items = fields.List(fields.Nested(FeedbackSummaryItemSchema))


class NpsArgsSchema(DateRangeArgsSchema):
    group_by = fields.String(load_default="month", validate=validate.OneOf(NPS_GROUPS))
    product_id = fields.Integer(validate=ID, metadata={"description": "Only this product"})


class NpsItemSchema(BaseSchema):
    key = fields.String(metadata={"description": "YYYY-MM, or the product id"})
    label = fields.String()
    responses = fields.Integer()
    promoters = fields.Integer()
    passives = fields.Integer()
    detractors = fields.Integer()
    nps = fields.Float(allow_none=True, metadata={"description": "%promoters - %detractors; null without responses"})


class NpsReportSchema(ReportRangeSchema):
    product_id = fields.Integer(allow_none=True)
    items = fields.List(fields.Nested(NpsItemSchema))
