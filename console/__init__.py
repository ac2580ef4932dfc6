"""The console: server-rendered pages for sales, marketers and moderators under /console/.

Views call the same domain services as the API (never the API over HTTP), validate input
with the API's own schemas, and render Jinja templates; charts are SVG drawn on the
server, so pages need no JavaScript and no asset from outside. Each page is one view
registered through `pages.page(...)` (its role check and navigation entry) and one template.
"""

from __future__ import annotations

from flask import Flask

from console import common, views  # noqa: F401  (handlers, filters and views register on bp)
from console.blueprint import bp, csrf
from core.security import accept_form_posts


def init_app(app: Flask) -> None:
    """Register the console; CSRF tokens are checked on the console's forms only."""
    csrf.init_app(app)
    app.register_blueprint(bp)
    accept_form_posts(app, bp.name)
