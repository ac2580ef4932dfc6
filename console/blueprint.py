"""The console's blueprint, its page registry and its CSRF protection, shared by every view module."""

from __future__ import annotations

from flask import Blueprint
from flask_wtf.csrf import CSRFProtect

from console.pages import PageRegistry

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
pages = PageRegistry(bp)
csrf = CSRFProtect()
