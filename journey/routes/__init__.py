"""The journey API: one blueprint, its views split by resource."""

from journey.routes import health, journeys, retention  # noqa: F401  (registers the views)
from journey.routes.common import blp

__all__ = ["blp"]
