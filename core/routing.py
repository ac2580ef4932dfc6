"""URL converters that keep impossible values out of database queries."""

from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # INTEGER columns on PostgreSQL; SQLite's are wider
MIN_ID = -(2**31)


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` for ids a column can hold: larger ones are a 404, not a database overflow."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)  # documented as the parameter's maximum in OpenAPI
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        # NotFound rather than werkzeug's ValidationError: that one makes the router
        # answer 405 when the same path has rules for other methods.
        number = int(value)
        if number > self.max:
            raise NotFound("No such resource.")
        return number
