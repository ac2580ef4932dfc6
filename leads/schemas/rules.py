"""Scoring rules exactly in PRODUCT's shape, and rescore jobs."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from core.accounts.models import MEMBER_TYPES
from core.schemas import BaseSchema

ACTIVITY_TYPE = validate.Regexp(r"^[^\x00-\x1f]{1,80}$", error="Activity types are 1 to 80 printable characters.")
# "fit" names the fit points' row in a lead's contributions: no activity type may take it.
RESERVED_TYPES = validate.NoneOf(("fit",), error="'fit' is reserved for the fit points.")
MAX_ACTIVITY_TYPES = 200
POINTS = validate.Range(min=-1000, max=1000)
ATTRIBUTES = ("member_type", "company_size", "job_title", "email_domain")
OPERATORS = {
    "member_type": ("eq", "neq", "in"),
    "company_size": ("gte", "lte", "eq", "neq"),
    "job_title": ("contains", "neq"),
    "email_domain": ("eq", "neq"),
}


class ThresholdsSchema(BaseSchema):
    engaged = fields.Float(required=True, validate=validate.Range(min=0, max=100000))
    mql = fields.Float(required=True, validate=validate.Range(min=0, max=100000))


class FitRuleSchema(BaseSchema):
    attribute = fields.String(required=True, validate=validate.OneOf(ATTRIBUTES))
    operator = fields.String(required=True)
    value = fields.Raw(required=True)
    points = fields.Float(required=True, validate=POINTS)

    @validates_schema
    def check_rule(self, data, **kwargs):
        attribute, operator, value = data.get("attribute"), data.get("operator"), data.get("value")
        if attribute not in OPERATORS:
            return
        if operator not in OPERATORS[attribute]:
            raise ValidationError(f"Use one of: {', '.join(OPERATORS[attribute])}.", "operator")
        if not valid_value(attribute, value):
            raise ValidationError(VALUE_HELP[attribute], "value")


VALUE_HELP = {
    "member_type": f"One of {', '.join(MEMBER_TYPES)}, or a list of them.",
    "company_size": "A number of employees (0 or more).",
    "job_title": "A keyword, comma-separated keywords, or a list of keywords.",
    "email_domain": "'business' or 'free_mail'.",
}


def valid_value(attribute: str, value) -> bool:
    if attribute == "member_type":
        values = value if isinstance(value, list) else [value]
        return bool(values) and all(v in MEMBER_TYPES for v in values)
    if attribute == "company_size":
        return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 10**9
    if attribute == "job_title":
        words = value if isinstance(value, list) else [value]
        return bool(words) and all(isinstance(w, str) and 0 < len(w.strip()) <= 80 for w in words) and len(words) <= 50
    return value in ("business", "free_mail")


class ScoringRulesSchema(BaseSchema):
    weights = fields.Dict(
        keys=fields.String(validate=[ACTIVITY_TYPE, RESERVED_TYPES]),
        values=fields.Float(validate=POINTS),
        required=True,
    )
    daily_caps = fields.Dict(
        keys=fields.String(validate=[ACTIVITY_TYPE, RESERVED_TYPES]),
        values=fields.Integer(validate=validate.Range(min=0, max=100000)),
        load_default=dict,
    )  # fmt: skip
    # Stored terms grow as 2^((t − E)/H); scoring re-bases E once (t − E)/H passes 128 (every
    # 128 days at H = 1), so they stay finite however long the rules stand. H ≥ 1 day keeps
    # re-bases rare; H ≤ 3650 days keeps the decay meaningful.
    half_life_days = fields.Float(load_default=30.0, validate=validate.Range(min=1, max=3650))
    thresholds = fields.Nested(ThresholdsSchema, required=True)
    fit_rules = fields.List(fields.Nested(FitRuleSchema), load_default=list, validate=validate.Length(max=50))

    @validates_schema
    def check_rules(self, data, **kwargs):
        for name in ("weights", "daily_caps"):
            if len(data.get(name) or {}) > MAX_ACTIVITY_TYPES:
                raise ValidationError(f"At most {MAX_ACTIVITY_TYPES} activity types.", name)
        thresholds = data.get("thresholds") or {}
        if thresholds and thresholds["mql"] < thresholds["engaged"]:
            raise ValidationError("The mql threshold cannot be below the engaged threshold.", "thresholds")


class ScoringJobSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True, metadata={"description": "pending, running, succeeded, failed, superseded"})
    progress = fields.Float(dump_only=True, metadata={"description": "0 to 1"})
    total = fields.Integer(dump_only=True)
    done = fields.Integer(dump_only=True)
    error = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    started_at = fields.DateTime(dump_only=True, allow_none=True)
    finished_at = fields.DateTime(dump_only=True, allow_none=True)


class ScoringUpdateResultSchema(ScoringRulesSchema):
    rescore_job = fields.Nested(ScoringJobSchema, dump_only=True, allow_none=True)
