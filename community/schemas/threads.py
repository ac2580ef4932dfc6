"""Categories, threads, replies, reactions and share links (field names clients rely on are in PRODUCT.md)."""

from marshmallow import fields, validate

from core.accounts.schemas import MemberRefSchema
from core.routing import MAX_ID
from core.schemas import BaseSchema, PageArgsSchema, Trimmed

BODY = validate.Length(min=1, max=20_000)
# Markdown bodies are stored as written (leading spaces can matter), but a blank one is refused.
NOT_BLANK = validate.Predicate("strip", error="Must not be blank.")
TITLE = validate.Length(min=3, max=200)
TAG = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9-]{0,29}$", error="Tags are 1-30 letters, digits or dashes.")
SORTS = ("latest", "active", "top")
ID = validate.Range(min=1, max=MAX_ID)


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
    author = fields.Nested(MemberRefSchema, dump_only=True)
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
    solved = fields.Boolean(metadata={"description": "true: threads with an accepted answer; false: without"})
    sort = fields.String(load_default="latest", validate=validate.OneOf(SORTS))


class ReactionCountsSchema(BaseSchema):
    like = fields.Integer()
    helpful = fields.Integer()
    insightful = fields.Integer()


class PostSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    thread_id = fields.Integer(dump_only=True)
    author = fields.Nested(MemberRefSchema, dump_only=True)
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
