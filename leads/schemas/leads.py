"""Leads as sales see them, and accounts."""

from __future__ import annotations

import pycountry
from marshmallow import ValidationError, fields, validate

from core.pagination import page_schema
from core.schemas import BaseSchema, PageArgsSchema
from leads.models import ASSIGNMENT_MODES, LEAD_STAGES, MAX_AMOUNT


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
    overdue = fields.Boolean(
        metadata={"description": "true: MQLs nobody claimed within claim_within_hours; false: the others"}
    )


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
    qualified_at = fields.DateTime(dump_only=True, allow_none=True)
    amount = fields.Decimal(dump_only=True, allow_none=True, as_string=True)
    currency = fields.String(dump_only=True, allow_none=True)


def moment(value):
    return value.isoformat() if value is not None else None


class LeadPageSchema(page_schema(LeadSchema)):
    """A page of leads (the list's hot read, bench 4), dumped straight into LeadSchema's shape
    rather than field by field: documented as LeadSchema, and tests hold the two outputs equal."""

    def dump(self, obj, *, many=None):
        return {"items": [lead_json(lead) for lead in obj["items"]], "next_cursor": obj["next_cursor"]}


def lead_json(lead) -> dict:
    """A listed lead (leads.services.ranking.LeadItem) in LeadSchema's shape, read off its page row."""
    row = lead.row
    return {
        "id": row.id,
        "member": {
            "id": row.member_id,
            "email": row.email,
            "display_name": row.display_name,
            "member_type": row.member_type,
            "organization": row.organization,
            "job_title": row.job_title,
        },
        "email": row.email,
        "score": float(lead.current_score),
        "engagement": float(lead.engagement),
        "fit": float(lead.fit),
        "stage": row.stage,
        "owner_id": row.owner_id,
        "organization": row.organization,
        "created_at": moment(row.created_at),
        "claimed_at": moment(row.claimed_at),
        "last_activity_at": moment(row.last_activity_at),
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


def iso_4217(value: str) -> None:
    if not (value.isascii() and value.isupper()) or pycountry.currencies.get(alpha_3=value) is None:
        raise ValidationError("Not an ISO 4217 currency code (three capital letters, e.g. EUR).")


def positive_amount(value) -> None:
    """(A function, not validate.Range: the OpenAPI document would carry the bounds as Decimal strings.)"""
    if not 0 < value <= MAX_AMOUNT:
        raise ValidationError(f"Must be more than 0 and at most {MAX_AMOUNT}.")


def some_text(value: str) -> None:
    if not value.strip():
        raise ValidationError("Say why, in a few words.")


REASON = fields.String(validate=[validate.Length(min=1, max=500), some_text])


class LeadUpdateSchema(BaseSchema):
    status = fields.String(
        validate=validate.OneOf(LEAD_STAGES),
        metadata={"description": "mql → sal → sql → won | lost, any open stage → disqualified; else 409"},
    )
    owner_id = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=2**31 - 1))
    note = fields.String(validate=[validate.Length(min=1, max=5000), not_blank])
    lost_reason = fields.String(validate=REASON.validators, metadata={"description": "Required with status lost"})
    disqualified_reason = fields.String(
        validate=REASON.validators, metadata={"description": "Required with status disqualified"}
    )
    amount = fields.Decimal(
        places=2,
        as_string=True,
        validate=positive_amount,
        metadata={"description": "The won deal's amount (positive, at most two decimals); required with won"},
    )
    currency = fields.String(
        validate=[validate.Length(equal=3), iso_4217], metadata={"description": "ISO 4217 code; required with won"}
    )


class StageChangeSchema(BaseSchema):
    from_stage = fields.String(data_key="from", allow_none=True, metadata={"description": "null: the lead was created"})
    to_stage = fields.String(data_key="to")
    by = fields.Integer(attribute="by_id", allow_none=True, metadata={"description": "null: an automatic move"})
    at = fields.DateTime()
    reason = fields.String(allow_none=True)


class AccountSchema(BaseSchema):
    organization = fields.String()
    score = fields.Float()
    members = fields.Integer()
    leads = fields.Integer()


class AssignmentSchema(BaseSchema):
    """How new MQLs get an owner, and how long they may wait to be claimed (PUT replaces it whole)."""

    mode = fields.String(required=True, validate=validate.OneOf(ASSIGNMENT_MODES))
    seller_ids = fields.List(
        fields.Integer(validate=validate.Range(min=1, max=2**31 - 1)),
        load_default=list,
        validate=validate.Length(max=200),
        metadata={"description": "Sellers (sales or admin role) in round-robin order"},
    )
    same_owner_per_organization = fields.Boolean(
        load_default=False, metadata={"description": "A new MQL goes to the seller who owns its organisation's leads"}
    )
    claim_within_hours = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=24 * 365),
        metadata={"description": "An unclaimed MQL older than this is overdue (null: no SLA)"},
    )
    updated_at = fields.DateTime(dump_only=True, allow_none=True)
    updated_by_id = fields.Integer(dump_only=True, allow_none=True)
