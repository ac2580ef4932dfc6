"""Flags and the moderator's tools."""

from marshmallow import fields, validate

from community.models import FLAG_REASONS, FLAG_STATUSES
from community.schemas.products import RecommendationSchema
from community.schemas.threads import PostSchema
from core.schemas import BaseSchema, PageArgsSchema, Trimmed


class PostFlagSchema(BaseSchema):
    """A flag on a post (post_id, post) or on a recommendation (recommendation_id, recommendation)."""

    id = fields.Integer(dump_only=True)
    post_id = fields.Integer(dump_only=True, allow_none=True)
    post = fields.Nested(PostSchema, dump_only=True, allow_none=True)
    recommendation_id = fields.Integer(dump_only=True, allow_none=True)
    recommendation = fields.Nested(RecommendationSchema, dump_only=True, allow_none=True)
    reporter_id = fields.Integer(dump_only=True, allow_none=True)
    reason = fields.String(required=True, validate=validate.OneOf(FLAG_REASONS))
    details = Trimmed(load_default="", validate=validate.Length(max=1000))
    status = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    resolved_at = fields.DateTime(dump_only=True, allow_none=True)
    resolved_by_id = fields.Integer(dump_only=True, allow_none=True)


class PostFlagListArgsSchema(PageArgsSchema):
    status = fields.String(load_default="open", validate=validate.OneOf(FLAG_STATUSES))


class BanSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    display_name = fields.String(dump_only=True)
    banned = fields.Boolean(attribute="is_banned", dump_only=True)
