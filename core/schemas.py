"""Schema base classes shared by every domain."""

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property

from marshmallow import (
    EXCLUDE,
    INCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    missing,
    pre_load,
    validate,
    validates_schema,
)
from webargs.flaskparser import FlaskParser

UNSTORABLE_TEXT = "Text must be valid Unicode without NUL characters."
MIN_YEAR, MAX_YEAR = 2000, 2999
TOO_DEEP = "Nested too deeply."
MAX_JSON_DEPTH = 32


def is_storable_text(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")  # lone surrogates (valid JSON escapes) are not encodable
    except UnicodeEncodeError:
        return False
    return True


def first_problem(value) -> str | None:
    """What makes a JSON value unstorable, if anything; iterative, so depth cannot crash it."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            return TOO_DEEP
        if isinstance(item, str):
            # Most text is plain ASCII without NUL: two C-speed scans decide it.
            if not (item.isascii() and "\x00" not in item) and not is_storable_text(item):
                return UNSTORABLE_TEXT
        elif isinstance(item, Mapping):
            pending.extend((part, depth + 1) for pair in item.items() for part in pair)
        elif isinstance(item, list | tuple):
            pending.extend((part, depth + 1) for part in item)
    return None


class BaseSchema(Schema):
    class Meta:
        unknown = RAISE

    @pre_load(pass_collection=True)
    def refuse_unstorable_text(self, data, **kwargs):
        """Databases cannot store NUL or lone surrogates: a 422 naming the field, not a 500. Fields
        holding schemas of this kind are left to them (a batch's messages are walked once)."""
        if isinstance(data, Mapping):
            nested = self.keys_checked_by_nested_schemas
            own = {key: value for key, value in data.items() if key not in nested} if nested else data
            if first_problem(own) is None:
                return data  # the usual case: one walk, and no field to name
            problems = {key: first_problem([key, value]) for key, value in own.items()}
            bad = {
                key if is_storable_text(str(key)) else "body": [problem]
                for key, problem in problems.items()
                if problem is not None
            }
            if bad:
                raise ValidationError(bad)
        return data

    @cached_property
    def keys_checked_by_nested_schemas(self) -> frozenset:
        """The keys whose values a schema of this kind checks itself: a Nested one, or a List of them."""
        return frozenset(
            field.data_key or name
            for name, field in self.load_fields.items()
            if isinstance(nested_schema(field), BaseSchema)
        )


class LeanFieldLoop(BaseSchema):
    """For a flat schema loaded many times per request (a batch's messages): marshmallow's field
    loop visits every declared field of every message, present or not, through a closure and an
    error store. This loop visits the keys given and the fields with a load default, and hands
    anything else (a required field missing, an unknown key under RAISE, any error) to
    marshmallow's own loop, so the result and every error message are marshmallow's. Hooks
    (pre_load, validators, post_load) run as for any schema."""

    def _deserialize(self, data, *, error_store, many=False, partial=None, unknown=RAISE, index=None):
        loaded = None
        if not many and not partial and isinstance(data, Mapping) and self._lean_fields is not None:
            loaded = self._lean_deserialize(data, unknown)
        if loaded is None:
            return super()._deserialize(
                data, error_store=error_store, many=many, partial=partial, unknown=unknown, index=index
            )
        return loaded

    @classmethod
    def with_marshmallow_loop(cls) -> type:
        """The same schema loading through marshmallow's own loop (to compare the two)."""
        return type(f"Plain{cls.__name__}", (cls,), {"_lean_fields": None})

    @cached_property
    def _lean_fields(self) -> dict | None:
        """{data key: (result key, field)}; None when a result key is dotted (marshmallow nests it)."""
        plan = {(f.data_key or name): (f.attribute or name, f) for name, f in self.load_fields.items()}
        return None if any("." in key for key, _ in plan.values()) else plan

    @cached_property
    def _lean_defaults(self) -> tuple[list, frozenset]:
        """The fields whose absence marshmallow fills in (a load default) or refuses (required)."""
        defaults = [(key, f) for key, (_, f) in self._lean_fields.items() if f.load_default is not missing]
        return defaults, frozenset(key for key, (_, f) in self._lean_fields.items() if f.required)

    def _lean_deserialize(self, data: Mapping, unknown) -> dict | None:
        fields_by_key, (defaults, required) = self._lean_fields, self._lean_defaults
        loaded = self.dict_class()
        try:
            for key, value in data.items():
                known = fields_by_key.get(key)
                if known is None:
                    if unknown == INCLUDE:
                        loaded[key] = value
                    elif unknown != EXCLUDE:
                        return None
                    continue
                result = known[1].deserialize(value, key, data)
                if result is not missing:
                    loaded[known[0]] = result
            if not required.issubset(data.keys()):
                return None
            for key, field in defaults:
                if key not in data:
                    loaded[fields_by_key[key][0]] = field.deserialize(missing, key, data)
        except ValidationError:
            return None
        return loaded


def nested_schema(field: fields.Field):
    inner = getattr(field, "inner", field)
    return inner.schema if isinstance(inner, fields.Nested) else None


class Trimmed(fields.String):
    """A string stripped of surrounding whitespace before it is validated: "   " is empty, so too short."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class Moment(fields.Field):
    """An ISO 8601 date (a whole day) or datetime; naive values are UTC."""

    def __init__(self, *, end_of_day: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.end_of_day = end_of_day

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 40:
            raise ValidationError("Give an ISO 8601 date or datetime, e.g. 2026-11-01.")
        try:
            if len(value) == 10:
                day = date.fromisoformat(value)
                moment = datetime.combine(day, time()) + (timedelta(days=1) if self.end_of_day else timedelta())
            else:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except (ValueError, OverflowError):
            raise ValidationError("Give an ISO 8601 date or datetime, e.g. 2026-11-01.") from None
        if not MIN_YEAR <= moment.year <= MAX_YEAR:
            raise ValidationError(f"Give a date between {MIN_YEAR} and {MAX_YEAR}.")
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class NoArgsSchema(BaseSchema):
    """The query of a list or report that takes no parameters: any parameter is a 422 naming it."""


class DateRangeArgsSchema(BaseSchema):
    """`from` and `to` as reports take them: either may be left open; a date `to` includes that day."""

    start = Moment(data_key="from", load_default=None)
    end = Moment(data_key="to", end_of_day=True, load_default=None)

    @validates_schema
    def start_before_end(self, data, **kwargs):
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            raise ValidationError("'from' must be before 'to'.", field_name="from")


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


class RequestParser(FlaskParser):
    """webargs' parser, except that JSON nested past the decoder's recursion limit is the
    usual 400 for a malformed body instead of a RecursionError, and that a query string is held
    to its schema like a body: an unknown parameter (a typo such as `?form=` for `?from=`) is a
    422 naming it, never silently ignored."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": None, "querystring": None}

    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            raise json.JSONDecodeError("JSON nested too deeply", "<body>", 0) from None
