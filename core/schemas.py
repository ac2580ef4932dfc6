"""Schema base classes shared by every domain."""

from marshmallow import RAISE, Schema, fields, validate


class BaseSchema(Schema):
    class Meta:
        unknown = RAISE


class PageArgsSchema(BaseSchema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(load_default=None, validate=validate.Length(max=500))


class ErrorSchema(Schema):
    code = fields.Integer(metadata={"description": "HTTP status code"})
    status = fields.String(metadata={"description": "HTTP status name"})
    message = fields.String(metadata={"description": "What went wrong, for a person"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Messages by field name"},
    )
    request_id = fields.String(metadata={"description": "Quote this when reporting a problem"})
