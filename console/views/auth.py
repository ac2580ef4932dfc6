"""Signing in and out with the API's session, and the console's front door."""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from console.blueprint import bp, pages
from console.common import load, render
from console.pages import STAFF, console_member, may_open, safe_next
from core.accounts import services as accounts
from core.accounts import sessions
from core.accounts.schemas import LoginSchema
from core.auth import sign_in_limit
from core.errors import Unauthorized

login_schema = LoginSchema()


@pages.page("/", roles=STAFF)
def home():
    """The first page the signed-in member's roles open."""
    return redirect(url_for(pages.first_page(console_member())))


@bp.route("/sign-in", methods=["GET", "POST"])
@sign_in_limit
def sign_in():
    """The sign-in form; the session it starts is the API's session too."""
    member, back = console_member(), safe_next(request.values.get("next"))
    if request.method == "GET" and member is not None and may_open(member, STAFF):
        return redirect(back or url_for("console.home"))
    if request.method == "GET":
        return render("sign_in.html", next=back, errors={})
    data, errors = load(login_schema, {k: request.form.get(k, "") for k in ("email", "password")})
    if errors:
        return render("sign_in.html", 422, next=back, errors=errors)
    try:
        member = accounts.authenticate(data["email"], data["password"])
    except Unauthorized as error:
        return render("sign_in.html", 401, next=back, errors={"password": [error.message]})
    sessions.sign_in(member)  # commits a rehashed password with the new session
    return redirect(back or url_for("console.home"), 303)


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    """End the session, on the server too (for the API as well)."""
    sessions.sign_out()
    flash("You are signed out.", "info")
    return redirect(url_for("console.sign_in"), 303)
