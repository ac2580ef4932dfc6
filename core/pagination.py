"""Keyset (cursor) pagination: stable under inserts, an index scan at any depth."""

from __future__ import annotations

import base64
import binascii
import json
import math
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from marshmallow import fields

from core.errors import ValidationFailed
from core.extensions import db
from core.routing import MAX_ID, MIN_ID
from core.schemas import BaseSchema


def encode_cursor(values: list) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, columns: list) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != len(columns):
            raise ValueError
        return [coerce(value, column) for value, column in zip(values, columns, strict=True)]
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed("Invalid cursor; use next_cursor from the previous page.", field="cursor") from None


def coerce(value, column):
    """The cursor value as the column's Python type, or ValueError for anything a query cannot take."""
    python_type = column.type.python_type
    if value is None:
        return None
    if isinstance(value, bool) and python_type is not bool:
        raise ValueError
    if python_type is datetime:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError  # every stored moment is UTC-aware
        return moment
    if python_type is int:
        if not isinstance(value, int) or not MIN_ID <= value <= MAX_ID:
            raise ValueError  # would overflow the database's integer columns
        return value
    if python_type is float:
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError
        return float(value)
    if not isinstance(value, python_type):
        raise ValueError
    return value


def paginate(stmt: sa.Select, order_by: list, *, limit: int, cursor: str | None, descending: bool = True):
    """Run `stmt` ordered by `order_by` (unique together, e.g. [created_at, id]).

    Returns (rows, next_cursor). All keys sort the same direction, so one row
    comparison serves as the seek predicate on every backend.
    """
    if cursor:
        values = decode_cursor(cursor, order_by)
        boundary = sa.tuple_(*[sa.literal(v, type_=c.type) for v, c in zip(values, order_by, strict=True)])
        key = sa.tuple_(*order_by)
        stmt = stmt.where(key < boundary if descending else key > boundary)
    ordering = [c.desc() if descending else c.asc() for c in order_by]
    rows = list(db.session.scalars(stmt.order_by(*ordering).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor([getattr(last, c.key) for c in order_by])


def page(rows, next_cursor) -> dict:
    return {"items": rows, "next_cursor": next_cursor}


@cache
def page_schema(item_schema: type) -> type:
    """The {items, next_cursor} envelope for one item schema, made once."""
    return type(
        f"{item_schema.__name__.removesuffix('Schema')}PageSchema",
        (BaseSchema,),
        {"items": fields.List(fields.Nested(item_schema)), "next_cursor": fields.String(allow_none=True)},
    )
