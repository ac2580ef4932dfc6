"""Operator commands: `flask --app wsgi referrals drain-clicks | rebuild-rollups`."""

import click
from flask.cli import AppGroup

from core.extensions import db
from referrals.services import draining, rollups

referrals_cli = AppGroup("referrals", help="Referral click spool and rollups.")


@referrals_cli.command("drain-clicks")
def drain_clicks() -> None:
    """Store every spooled click of this host (e.g. after the web processes stopped for good)."""
    click.echo(f"stored {draining.drain_spool()} clicks")


@referrals_cli.command("rebuild-rollups")
def rebuild_rollups() -> None:
    """Rebuild the click and credit rollups from the stored clicks and credit (after a bulk load)."""
    with db.engine.begin() as connection:
        rollups.rebuild(connection)
    click.echo("rollups rebuilt")
