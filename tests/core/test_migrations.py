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


CLICKS_AT_0004 = [  # (referrer, visitor, campaign, utm_source, at): repeats across days and a week
    (1, "v1", None, None, "2026-03-02 10:00:00+00"),
    (1, "v1", None, "", "2026-03-02 23:59:00+00"),
    (1, "v1", 1, "news", "2026-03-04 08:00:00+00"),
    (2, "v1", 1, "news", "2026-03-10 08:00:00+00"),
    (2, "v2", None, None, "2026-03-10 09:00:00+00"),
    (2, None, None, None, "2026-03-11 09:00:00+00"),
]


def test_the_upgrade_fills_the_referral_rollups_as_a_rebuild_would(scratch_database):
    from referrals.services import rollups

    assert flask_db(scratch_database, "upgrade", "0004").returncode == 0
    engine = sa.create_engine(scratch_database)
    try:
        with engine.begin() as connection:
            sqlite = connection.dialect.name == "sqlite"

            def run(sql: str) -> None:  # timestamps stored as SQLAlchemy stores them on SQLite (UTC, no zone)
                connection.exec_driver_sql(sql.replace(":00+00'", ":00.000000'") if sqlite else sql)

            for n in (1, 2):
                run(
                    "INSERT INTO members (id, email, email_normalized, display_name, referral_code, member_type,"
                    f" created_at, updated_at) VALUES ({n}, 'm{n}@x.example', 'm{n}@x.example', 'M{n}', 'code{n}xyz',"
                    " 'customer', '2026-03-01 00:00:00+00', '2026-03-01 00:00:00+00')"
                )
            run(
                "INSERT INTO referral_campaigns (id, name, slug, landing_url, active, created_at)"
                " VALUES (1, 'C', 'c', 'https://brand.example/', true, '2026-03-01 00:00:00+00')"
            )
            for referrer, visitor, campaign, source, at in CLICKS_AT_0004:
                connection.execute(
                    sa.text(
                        "INSERT INTO referral_clicks (occurred_at, code, referrer_id, campaign_id, visitor_id, channel,"
                        " utm_source, ua_class) VALUES (:at, :code, :referrer, :campaign, :visitor, 'link', :source,"
                        " 'browser')"
                    ),
                    {
                        "at": at.replace("+00", ".000000") if sqlite else at,
                        "code": f"code{referrer}xyz",
                        "referrer": referrer,
                        "campaign": campaign,
                        "visitor": visitor,
                        "source": source,
                    },
                )
            run(
                "INSERT INTO referral_conversions (id, member_id, kind, occurred_at, referred_by_id, flagged)"
                " VALUES (1, 2, 'signup', '2026-03-10 10:00:00+00', 1, false),"
                " (2, 2, 'lead', '2026-03-12 10:00:00+00', 1, false)"
            )
            run(
                "INSERT INTO referral_touches (id, conversion_id, position, occurred_at, age_seconds, referrer_id,"
                " channel) VALUES (1, 1, 0, '2026-03-02 10:00:00+00', 10, 1, 'link'),"
                " (2, 1, 1, '2026-03-10 08:00:00+00', 10, 2, 'campaign')"
            )
            run(
                "INSERT INTO referral_credits (conversion_id, window_days, model, touch_id, share) VALUES"
                " (1, 30, 'linear', 1, 500000), (1, 30, 'linear', 2, 500000), (2, 30, 'linear', 1, 500000),"
                " (2, 30, 'linear', 2, 500000)"
            )
        upgrade = flask_db(scratch_database, "upgrade")
        assert upgrade.returncode == 0, upgrade.stderr[-2000:]
        with engine.connect() as connection, connection.begin() as transaction:
            # Rebuilding `members` (0009, SQLite's batch mode) keeps the rows that reference it.
            assert connection.scalar(sa.text("SELECT count(*) FROM referral_clicks")) == len(CLICKS_AT_0004)
            tables = (rollups.ClickRollup.__table__, rollups.CreditRollup.__table__)
            migrated = [set(connection.execute(sa.select(t))) for t in tables]
            rollups.rebuild(connection)
            assert migrated == [set(connection.execute(sa.select(t))) for t in tables]
            assert len(migrated[0]) > 10 and len(migrated[1]) > 5
            transaction.rollback()
    finally:
        engine.dispose()
