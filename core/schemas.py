"""Schema base classes shared by every domain."""

from collections.abc import Mapping

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

UNSTORABLE_TEXT = "Text must be valid Unicode without NUL characters."


def is_storable_text(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")  # lone surrogates (valid JSON escapes) are not encodable
    except UnicodeEncodeError:
        return False
    return True


def contains_unstorable_text(value) -> bool:
    if isinstance(value, str):
        return not is_storable_text(value)
    if isinstance(value, Mapping):
        return any(contains_unstorable_text(k) or contains_unstorable_text(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_unstorable_text(v) for v in value)
    return False


class BaseSchema(Schema):
    class Meta:
        unknown = RAISE

    @pre_load(pass_collection=True)
    def refuse_unstorable_text(self, data, **kwargs):
        """Databases cannot store NUL or lone surrogates: a 422 naming the field, not a 500."""
        if isinstance(data, Mapping):
            bad = {
                key if is_storable_text(str(key)) else "body": [UNSTORABLE_TEXT]
                for key, value in data.items()
                if contains_unstorable_text(key) or contains_unstorable_text(value)
            }
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
