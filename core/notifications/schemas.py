"""Notifications as members see them."""

from marshmallow import fields, validate

from core.accounts.schemas import MemberRefSchema
from core.notifications.models import KINDS
from core.pagination import page_schema
from core.routing import MAX_ID
from core.schemas import BaseSchema, PageArgsSchema


class NotificationSchema(BaseSchema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": f"One of: {', '.join(KINDS)}"})
    actor = fields.Nested(MemberRefSchema, allow_none=True, metadata={"description": "Who did it, if a member"})
    subject_type = fields.String(allow_none=True)
    subject_id = fields.Integer(allow_none=True)
    data = fields.Dict(metadata={"description": "Ids that locate the subject (thread_id, post_id, ...)"})
    read = fields.Boolean()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class NotificationListArgsSchema(PageArgsSchema):
    unread = fields.Boolean(load_default=False, metadata={"description": "true: only unread notifications"})


class NotificationPageSchema(page_schema(NotificationSchema)):
    unread_count = fields.Integer(metadata={"description": "Unread notifications in all (not only this page)"})


class MarkReadSchema(BaseSchema):
    ids = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID)),
        required=True,
        validate=validate.Length(min=1, max=100),
    )


class MarkReadResultSchema(BaseSchema):
    marked = fields.Integer(metadata={"description": "How many of the ids were yours and unread"})
    unread_count = fields.Integer()
