"""Leads as sales see them, and accounts."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from core.pagination import page_schema
from core.schemas import BaseSchema, PageArgsSchema
from leads.models import LEAD_STAGES


class LeadFilterSchema(BaseSchema):
    """The filters the list and the CSV export share."""

    stage = fields.String(validate=validate.OneOf(LEAD_STAGES))
    min_score = fields.Float(validate=validate.Range(min=-1e9, max=1e9))
    owner = fields.Integer(
        validate=validate.Range(min=0, max=2**31 - 1), metadata={"description": "A member id; 0 for unclaimed leads"}
    )
    organization = fields.String(validate=validate.Length(min=1, max=120))
    product = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    q = fields.String(validate=validate.Length(min=1, max=100))
    sort = fields.String(load_default="score", validate=validate.OneOf(("score", "recent")))


class LeadListArgsSchema(LeadFilterSchema, PageArgsSchema):
    pass


class LeadMemberSchema(BaseSchema):
    id = fields.Integer()
    email = fields.String()
    display_name = fields.String()
    member_type = fields.String()
    organization = fields.String(allow_none=True)
    job_title = fields.String(allow_none=True)


class LeadSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    member = fields.Nested(LeadMemberSchema, dump_only=True)
    email = fields.String(attribute="member.email", dump_only=True)
    score = fields.Float(attribute="current_score", dump_only=True)
    engagement = fields.Float(dump_only=True)
    fit = fields.Float(dump_only=True)
    stage = fields.String(dump_only=True)
    owner_id = fields.Integer(dump_only=True, allow_none=True)
    organization = fields.String(attribute="score.organization", dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    claimed_at = fields.DateTime(dump_only=True, allow_none=True)
    last_activity_at = fields.DateTime(dump_only=True, allow_none=True)


def moment(value):
    return value.isoformat() if value is not None else None


class LeadPageSchema(page_schema(LeadSchema)):
    """A page of leads (the list's hot read, bench 4), dumped straight into LeadSchema's shape
    rather than field by field: documented as LeadSchema, and tests hold the two outputs equal."""

    def dump(self, obj, *, many=None):
        return {"items": [lead_json(lead) for lead in obj["items"]], "next_cursor": obj["next_cursor"]}


def lead_json(lead) -> dict:
    member = lead.member
    return {
        "id": lead.id,
        "member": {
            "id": member.id,
            "email": member.email,
            "display_name": member.display_name,
            "member_type": member.member_type,
            "organization": member.organization,
            "job_title": member.job_title,
        },
        "email": member.email,
        "score": float(lead.current_score),
        "engagement": float(lead.engagement),
        "fit": float(lead.fit),
        "stage": lead.stage,
        "owner_id": lead.owner_id,
        "organization": lead.score.organization,
        "created_at": moment(lead.created_at),
        "claimed_at": moment(lead.claimed_at),
        "last_activity_at": moment(lead.last_activity_at),
    }


class ContributionSchema(BaseSchema):
    activity_type = fields.String(metadata={"description": "An activity type, or 'fit' for the fit points"})
    count = fields.Integer()
    points = fields.Float()


class RecentActivitySchema(BaseSchema):
    activity_type = fields.String()
    occurred_at = fields.DateTime()
    source = fields.String()
    subject_type = fields.String(allow_none=True)
    subject_id = fields.Integer(allow_none=True)
    points = fields.Float()


class ProductInterestSchema(BaseSchema):
    product_id = fields.Integer()
    name = fields.String(allow_none=True)
    activities = fields.Integer()
    points = fields.Float()


class NoteSchema(BaseSchema):
    id = fields.Integer()
    author_id = fields.Integer(allow_none=True)
    body = fields.String()
    created_at = fields.DateTime()


class LeadDetailSchema(LeadSchema):
    contributions = fields.List(fields.Nested(ContributionSchema), dump_only=True)
    recent_activities = fields.List(fields.Nested(RecentActivitySchema), dump_only=True)
    discovery = fields.Dict(dump_only=True, allow_none=True)
    product_interest = fields.List(fields.Nested(ProductInterestSchema), dump_only=True)
    notes = fields.List(fields.Nested(NoteSchema), dump_only=True)


def not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("A note needs some text.")


class LeadUpdateSchema(BaseSchema):
    status = fields.String(validate=validate.OneOf(LEAD_STAGES))
    owner_id = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=2**31 - 1))
    note = fields.String(validate=[validate.Length(min=1, max=5000), not_blank])


class AccountSchema(BaseSchema):
    organization = fields.String()
    score = fields.Float()
    members = fields.Integer()
    leads = fields.Integer()
