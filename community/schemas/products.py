"""The catalogue, peer recommendations and NPS."""

from marshmallow import fields, validate

from community.schemas.feedback import ResponseSchema
from community.schemas.threads import NOT_BLANK
from core.accounts.schemas import MemberRefSchema
from core.schemas import BaseSchema, PageArgsSchema, Trimmed


class ProductSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    name = Trimmed(required=True, validate=validate.Length(min=1, max=120))
    description = Trimmed(load_default="", validate=validate.Length(max=2000))
    url = fields.URL(load_default=None, allow_none=True, schemes={"http", "https"}, validate=validate.Length(max=500))
    active = fields.Boolean(load_default=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class ProductUpdateSchema(ProductSchema):
    """PATCH /products/<id>: any of name, description, url, active."""


class ProductListArgsSchema(PageArgsSchema):
    active = fields.Boolean()
    q = fields.String(validate=validate.Length(min=1, max=100))


class RecommendationSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    product_id = fields.Integer(dump_only=True)
    member = fields.Nested(MemberRefSchema, dump_only=True)
    score = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10))
    body = fields.String(required=True, validate=[validate.Length(min=1, max=5000), NOT_BLANK])
    body_html = fields.String(dump_only=True)
    endorsement_count = fields.Integer(dump_only=True)
    hidden = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    responses = fields.List(
        fields.Nested(ResponseSchema), dump_only=True, metadata={"description": "The brand's answers"}
    )


class NpsSchema(BaseSchema):
    product_id = fields.Integer()
    responses = fields.Integer()
    promoters = fields.Integer(metadata={"description": "Scores 9-10"})
    passives = fields.Integer(metadata={"description": "Scores 7-8"})
    detractors = fields.Integer(metadata={"description": "Scores 0-6"})
    nps = fields.Float(
        allow_none=True, metadata={"description": "%promoters - %detractors, 2 decimals; null without responses"}
    )
