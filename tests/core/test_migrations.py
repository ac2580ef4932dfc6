"""Every revision upgrades and downgrades, and the models match the migrations.

Runs the real CLI against a scratch database of the same kind as the test database.
"""

import subprocess
import sys

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.conftest import ROOT, service_env


@pytest.fixture
def scratch_database(database_uri, tmp_path):
    url = make_url(database_uri)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    name = f"{url.database}_migrations"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def flask_db(database: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", *args],
        cwd=ROOT,
        env=service_env(database, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def table_names(database: str) -> set[str]:
    engine = sa.create_engine(database)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(scratch_database, app):
    from core.extensions import db

    for step in (("upgrade",), ("downgrade", "base"), ("upgrade",)):
        result = flask_db(scratch_database, *step, PEERLOOP_ALLOW_DESTRUCTIVE_DOWNGRADE="1")
        assert result.returncode == 0, result.stderr
        if step[0] == "downgrade":
            assert {t for t in table_names(scratch_database) if not t.startswith("sqlite_")} == set()
    assert set(db.metadata.tables) <= table_names(scratch_database)


def test_downgrading_past_a_domains_first_revision_needs_the_flag(scratch_database):
    assert flask_db(scratch_database, "upgrade", "0004").returncode == 0  # the first four domains' first revisions
    domain_tables = table_names(scratch_database)
    assert flask_db(scratch_database, "upgrade").returncode == 0
    refused = flask_db(scratch_database, "downgrade", "base", PEERLOOP_ALLOW_DESTRUCTIVE_DOWNGRADE="")
    assert refused.returncode != 0
    assert "PEERLOOP_ALLOW_DESTRUCTIVE_DOWNGRADE=1" in refused.stderr
    assert domain_tables <= table_names(scratch_database)  # the domains' tables and their rows stay


def test_downgrading_past_the_first_journey_revision_needs_the_flag(scratch_database):
    assert flask_db(scratch_database, "upgrade", "0009").returncode == 0  # main's head before journey
    before_journey = table_names(scratch_database)
    assert flask_db(scratch_database, "upgrade", "0011").returncode == 0
    journey_tables = table_names(scratch_database) - before_journey
    assert {"journey_members", "customer_health"} <= journey_tables
    refused = flask_db(scratch_database, "downgrade", "0009", PEERLOOP_ALLOW_DESTRUCTIVE_DOWNGRADE="")
    assert refused.returncode != 0 and "journey" in refused.stderr
    assert journey_tables <= table_names(scratch_database)
    allowed = flask_db(scratch_database, "downgrade", "0009", PEERLOOP_ALLOW_DESTRUCTIVE_DOWNGRADE="1")
    assert allowed.returncode == 0, allowed.stderr
    assert table_names(scratch_database) == before_journey


def test_models_match_migrations(scratch_database):
    assert flask_db(scratch_database, "upgrade").returncode == 0
    check = flask_db(scratch_database, "check")
    assert check.returncode == 0, (check.stdout + check.stderr)[-3000:]
