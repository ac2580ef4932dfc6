"""Request and response shapes of community (field names clients rely on are in PRODUCT.md)."""

from marshmallow import fields, validate

from community.models import FLAG_REASONS, FLAG_STATUSES
from community.services.common import MAX_ID
from core.schemas import BaseSchema, PageArgsSchema

BODY = validate.Length(min=1, max=20_000)
# Markdown bodies are stored as written (leading spaces can matter), but a blank one is refused.
NOT_BLANK = validate.Predicate("strip", error="Must not be blank.")
TITLE = validate.Length(min=3, max=200)
TAG = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9-]{0,29}$", error="Tags are 1-30 letters, digits or dashes.")
SORTS = ("latest", "active", "top")
ID = validate.Range(min=1, max=MAX_ID)


class Trimmed(fields.String):
    """A string stripped of surrounding whitespace before it is validated: "   " is empty, so too short."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class AuthorSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    display_name = fields.String(dump_only=True)


class CategorySchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    slug = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{1,39}$"))
    name = Trimmed(required=True, validate=validate.Length(min=1, max=80))
    description = Trimmed(load_default="", validate=validate.Length(max=500))
    created_at = fields.DateTime(dump_only=True)


class CategoryRefSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    slug = fields.String(dump_only=True)
    name = fields.String(dump_only=True)


class ThreadSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    category_id = fields.Integer(required=True, strict=True)
    category = fields.Nested(CategoryRefSchema, dump_only=True)
    author = fields.Nested(AuthorSchema, dump_only=True)
    title = Trimmed(required=True, validate=TITLE)
    body = fields.String(
        required=True, validate=[BODY, NOT_BLANK], metadata={"description": "Markdown, stored as written"}
    )
    body_html = fields.String(dump_only=True, metadata={"description": "Sanitised HTML rendering of body"})
    tags = fields.List(fields.String(validate=TAG), load_default=list, validate=validate.Length(max=5))
    reply_count = fields.Integer(dump_only=True)
    reaction_count = fields.Integer(dump_only=True)
    score = fields.Integer(dump_only=True, metadata={"description": "reactions + 2 x replies ('top' order)"})
    pinned = fields.Boolean(dump_only=True)
    locked = fields.Boolean(dump_only=True)
    hidden = fields.Boolean(dump_only=True)
    accepted_post_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    last_activity_at = fields.DateTime(dump_only=True)


class ThreadUpdateSchema(ThreadSchema):
    """PATCH /threads/<id>: any of category_id, title, body, tags."""


class ThreadListArgsSchema(PageArgsSchema):
    category = fields.Integer(validate=ID, metadata={"description": "Category id"})
    tag = fields.String(validate=TAG)
    sort = fields.String(load_default="latest", validate=validate.OneOf(SORTS))


class ReactionCountsSchema(BaseSchema):
    like = fields.Integer()
    helpful = fields.Integer()
    insightful = fields.Integer()


class PostSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    thread_id = fields.Integer(dump_only=True)
    author = fields.Nested(AuthorSchema, dump_only=True)
    body = fields.String(
        required=True, validate=[BODY, NOT_BLANK], metadata={"description": "Markdown, stored as written"}
    )
    body_html = fields.String(dump_only=True)
    reply_to_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    is_opener = fields.Boolean(dump_only=True)
    reactions = fields.Nested(ReactionCountsSchema, dump_only=True)
    hidden = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    edited_at = fields.DateTime(dump_only=True, allow_none=True)


class PostUpdateSchema(BaseSchema):
    body = fields.String(required=True, validate=[BODY, NOT_BLANK])


class AcceptSchema(BaseSchema):
    post_id = fields.Integer(required=True, strict=True)


class ShareLinkSchema(BaseSchema):
    url = fields.String(metadata={"description": "Referral link owned by the sharer, landing on the content"})
    code = fields.String(metadata={"description": "The sharer's referral code"})
    content = fields.String(metadata={"description": "thread-<id> or recommendation-<id>"})


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
    member = fields.Nested(AuthorSchema, dump_only=True)
    score = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10))
    body = fields.String(required=True, validate=[validate.Length(min=1, max=5000), NOT_BLANK])
    body_html = fields.String(dump_only=True)
    endorsement_count = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class NpsSchema(BaseSchema):
    product_id = fields.Integer()
    responses = fields.Integer()
    promoters = fields.Integer(metadata={"description": "Scores 9-10"})
    passives = fields.Integer(metadata={"description": "Scores 7-8"})
    detractors = fields.Integer(metadata={"description": "Scores 0-6"})
    nps = fields.Float(
        allow_none=True, metadata={"description": "%promoters - %detractors, 2 decimals; null without responses"}
    )


class PostFlagSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    post_id = fields.Integer(dump_only=True)
    post = fields.Nested(PostSchema, dump_only=True)
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


class ContentSearchArgsSchema(PageArgsSchema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ContentSearchHitSchema(BaseSchema):
    type = fields.String(metadata={"description": "thread (matched its opening post or title) or post"})
    rank = fields.Float()
    post_id = fields.Integer(attribute="post.id")
    thread_id = fields.Integer(attribute="thread.id")
    thread_title = fields.String(attribute="thread.title")
    author = fields.Nested(AuthorSchema, attribute="post.author")
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
    member = fields.Nested(AuthorSchema)
    reputation = fields.Integer()
    accepted_answers = fields.Integer()
    reactions_received = fields.Integer()
