"""The leads API: one blueprint, its views split by audience."""

from leads.routes import assignment, ingestion, insights, sales, scoring, webhooks  # noqa: F401  (registers the views)
from leads.routes.common import blp

__all__ = ["blp"]
