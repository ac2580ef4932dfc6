"""Alembic environment, run through Flask-Migrate inside the Peerloop app."""

import logging
from contextlib import contextmanager

from alembic import context
from flask import current_app

from core.models import UTCDateTime

logger = logging.getLogger("alembic.env")
config = context.config
target_db = current_app.extensions["migrate"].db
config.set_main_option("sqlalchemy.url", target_db.engine.url.render_as_string(hide_password=False).replace("%", "%%"))


# Made by raw DDL in 0002_community, not described by any model: SQLite's FTS5
# search table with the shadow tables FTS5 keeps beside it, and PostgreSQL's
# full-text GIN expression indexes.
UNMANAGED_TABLE_PREFIXES = ("post_search",)
UNMANAGED_INDEX_SUFFIX = "_fts"


def include_name(name, type_, parent_names):
    if type_ == "table" and name not in target_db.metadata.tables:
        return not name.startswith(UNMANAGED_TABLE_PREFIXES)
    if type_ == "index":
        return not name.endswith(UNMANAGED_INDEX_SUFFIX)
    return True


def render_item(type_, obj, autogen_context):
    """Write the app's UTC type as the plain column type it stores."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def process_revision_directives(context_, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def configure_args() -> dict:
    args = dict(current_app.extensions["migrate"].configure_args)
    args.setdefault("process_revision_directives", process_revision_directives)
    args.setdefault("render_item", render_item)
    args.setdefault("compare_type", True)
    args.setdefault("include_name", include_name)
    return args


def run_migrations_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=target_db.metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    with target_db.engine.connect() as connection, foreign_keys_off_on_sqlite(connection):
        context.configure(connection=connection, target_metadata=target_db.metadata, **configure_args())
        with context.begin_transaction():
            context.run_migrations()


@contextmanager
def foreign_keys_off_on_sqlite(connection):
    """SQLite's batch mode rebuilds a table by copying it and dropping the original; with foreign
    keys on, that DROP deletes every row that references the table ON DELETE CASCADE (rebuilding
    `members` emptied the clicks, threads and tokens). The pragma only takes effect outside a
    transaction, so it is set on the driver's connection before the migrations begin one."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        if sqlite:  # the pooled connection goes back as every other connection is made
            connection.rollback()
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
