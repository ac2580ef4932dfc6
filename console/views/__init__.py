"""Console views, one module per audience; importing them registers their pages (navigation order)."""

from console.views import auth, leads, marketing, moderation, voice  # noqa: F401
