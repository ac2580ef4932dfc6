"""Public profiles, the leaderboard and search."""

from marshmallow import fields, validate

from core.accounts.schemas import MemberRefSchema
from core.schemas import BaseSchema, PageArgsSchema


class ContentSearchArgsSchema(PageArgsSchema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ContentSearchHitSchema(BaseSchema):
    type = fields.String(metadata={"description": "thread (matched its opening post or title) or post"})
    rank = fields.Float()
    post_id = fields.Integer(attribute="post.id")
    thread_id = fields.Integer(attribute="thread.id")
    thread_title = fields.String(attribute="thread.title")
    author = fields.Nested(MemberRefSchema, attribute="post.author")
    snippet = fields.String()
    created_at = fields.DateTime(attribute="post.created_at")


class PublicProfileSchema(BaseSchema):
    id = fields.Integer()
    display_name = fields.String()
    member_type = fields.String()
    bio = fields.String(allow_none=True)
    joined_at = fields.DateTime()
    reputation = fields.Integer()
    thread_count = fields.Integer()
    post_count = fields.Integer()
    reactions_received = fields.Integer()
    accepted_answers = fields.Integer()


class ReputationEntrySchema(BaseSchema):
    member = fields.Nested(MemberRefSchema)
    reputation = fields.Integer()
    accepted_answers = fields.Integer()
    reactions_received = fields.Integer()
