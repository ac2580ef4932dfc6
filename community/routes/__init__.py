"""The community API: one blueprint, its views split by resource."""

from community.routes import feedback, members, moderation, products, threads  # noqa: F401  (registers the views)
from community.routes.common import blp

__all__ = ["blp"]
