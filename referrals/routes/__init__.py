"""The referrals API (one blueprint, its views split by resource) and the public /r/<code> pages."""

from referrals.routes import reports, rewards  # noqa: F401  (registers the views)
from referrals.routes.common import blp
from referrals.routes.links import document_public_links, public_bp

__all__ = ["blp", "document_public_links", "public_bp"]
