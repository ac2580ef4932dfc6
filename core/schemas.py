"""Schema base classes shared by every domain."""

from collections.abc import Mapping

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

NUL_MESSAGE = "NUL characters are not allowed."


def contains_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(v) for v in value)
    return False


class BaseSchema(Schema):
    class Meta:
        unknown = RAISE

    @pre_load(pass_collection=True)
    def refuse_nul_characters(self, data, **kwargs):
        """PostgreSQL cannot store NUL in text: a 422 naming the field, not a 500."""
        if isinstance(data, Mapping):
            bad = {str(key): [NUL_MESSAGE] for key, value in data.items() if contains_nul(value)}
            if bad:
                raise ValidationError(bad)
        return data


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
