"""Operator commands: `flask --app wsgi users create`, `flask --app wsgi seed-demo`."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from core.accounts import services
from core.accounts.models import MEMBER_TYPES, ROLES, Member
from core.errors import DomainError
from core.extensions import db

users_cli = AppGroup("users", help="Manage member accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 10 characters.")
@click.option("--name", "display_name", default=None, help="Display name (default: the email's local part).")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), help="Repeat for several roles.")
@click.option("--member-type", default="customer", type=click.Choice(MEMBER_TYPES))
def create_user(email, password, display_name, roles, member_type):
    """Create a member with the given roles."""
    if len(password) < 10:
        raise click.BadParameter("must be at least 10 characters", param_hint="--password")
    try:
        # The operator vouches for the address: no verification mail.
        member = services.create_member(
            email, password, display_name or email.split("@")[0], roles=roles, member_type=member_type, verified=True
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"Created member {member.id} <{member.email}> with roles {', '.join(member.role_names)}.")


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when members already exist.")
def seed_demo(if_empty):
    """Fill the database with a believable demo community (never in production)."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("seed-demo makes demo accounts with a known password; it never runs in production.")
    if if_empty and db.session.scalar(sa.select(sa.func.count(Member.id))):
        click.echo("Members exist already; demo not seeded again.")
        return
    context: dict = {}
    seeders = current_app.extensions["demo_seeders"]
    with click.progressbar(length=len(seeders) * 100, label="Seeding demo", show_pos=True) as bar:
        for seeder in seeders:
            seeder(context, bar)
            db.session.commit()
    for line in context.get("summary", []):
        click.echo(line)
