"""The page registry: each console view declares its route, the roles it answers and,
for pages, its place in the navigation. Adding a page is one view and one template."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from urllib.parse import unquote, urlsplit

from flask import Blueprint, current_app, flash, g, redirect, request, url_for
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RoutingException

from core.auth import has_role
from core.errors import Forbidden

# The same role sets as the API endpoints each page mirrors (admin passes every check).
STAFF = ("moderator", "marketer", "sales", "admin")
LEAD_READERS = ("sales", "marketer", "admin")
SELLERS = ("sales", "admin")
MARKETING = ("marketer", "admin")
MODERATION = ("moderator", "admin")
STAFF_ONLY = "The console is for staff (sales, marketing, moderation). Sign in with a staff account."


@dataclass(frozen=True)
class Page:
    endpoint: str
    title: str
    section: str
    roles: tuple[str, ...]


def console_member():
    """The member signed in with a session cookie; API tokens do not open console pages."""
    if not current_user.is_authenticated or g.get("token_scopes") is not None:
        return None
    return current_user


def may_open(member, roles: tuple[str, ...]) -> bool:
    return any(has_role(member, role) for role in roles)


def safe_next(target: str | None) -> str | None:
    """A console page to return to after signing in; anything else (other sites) is ignored.

    Only a path that routes to a console page as it stands: browsers resolve dot segments
    (`/console/..//evil.example`) and drop tabs before requesting, and a control character
    could not go in a Location header at all."""
    if not target or not target.isprintable() or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    try:
        endpoint, _ = current_app.url_map.bind("").match(unquote(parts.path), method="GET")
    except (HTTPException, RoutingException):  # no such page, or one that redirects elsewhere
        return None
    return target if endpoint.startswith("console.") and endpoint != "console.static" else None


def sign_in_redirect():
    back = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("console.sign_in", next=safe_next(back)))


def guard(view: Callable, roles: tuple[str, ...]) -> Callable:
    """Anonymous callers go to sign-in, members without a staff role are sent away, staff
    without one of `roles` get 403."""

    @wraps(view)
    def guarded(*args, **kwargs):
        member = console_member()
        if member is None:
            return sign_in_redirect()
        if not may_open(member, STAFF):
            flash(STAFF_ONLY, "error")
            return redirect(url_for("console.sign_in"))
        if not may_open(member, roles):
            raise Forbidden(f"This page is for the roles: {', '.join(r for r in roles if r != 'admin')}.")
        return view(*args, **kwargs)

    return guarded


class PageRegistry:
    def __init__(self, blueprint: Blueprint):
        self.blueprint = blueprint
        self.pages: list[Page] = []

    def page(self, rule: str, *, roles: tuple[str, ...], title: str | None = None, section: str = "", methods=("GET",)):
        """Serve `rule` to staff with one of `roles`; with a `title`, list it in the navigation under `section`."""

        def decorator(view: Callable) -> Callable:
            guarded = guard(view, roles)
            self.blueprint.add_url_rule(rule, view.__name__, guarded, methods=list(methods))
            if title:
                self.pages.append(Page(f"{self.blueprint.name}.{view.__name__}", title, section, roles))
            return guarded

        return decorator

    def action(self, rule: str, *, roles: tuple[str, ...]):
        """A form post (CSRF-checked by the blueprint), for staff with one of `roles`."""
        return self.page(rule, roles=roles, methods=("POST",))

    def navigation(self, member) -> list[tuple[str, list[Page]]]:
        """The pages `member` may open, grouped by section in registration order."""
        sections: dict[str, list[Page]] = {}
        for page in self.pages:
            if may_open(member, page.roles):
                sections.setdefault(page.section, []).append(page)
        return list(sections.items())

    def first_page(self, member) -> str | None:
        return next((page.endpoint for _, group in self.navigation(member) for page in group), None)
