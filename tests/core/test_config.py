"""Configuration from the environment."""

import pytest
import sqlalchemy as sa
from celery.schedules import crontab
from flask import Flask

from config import Config, ProductionConfig, celery_settings, config_for, database_url, env_list, env_str
from core.app import create_app
from core.database import tune_planner
from core.extensions import db


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_url_always_uses_psycopg3(given, expected):
    assert database_url(given) == expected


def test_default_database_is_the_embedded_sqlite_file():
    assert database_url(None).endswith("/instance/peerloop.db")


def test_tasks_run_in_process_without_a_broker():
    for broker, eager in ((None, True), ("redis://127.0.0.1:6379/0", False)):
        assert celery_settings(broker, sweep_seconds=60, webhook_deadline=10)["task_always_eager"] is eager


def test_one_beat_schedule_runs_every_periodic_job():
    schedule = celery_settings("redis://127.0.0.1:6379/0", sweep_seconds=15, webhook_deadline=10)["beat_schedule"]
    jobs = {entry["task"]: entry["schedule"] for entry in schedule.values()}
    assert jobs["core.sweep_outbox"] == 15.0
    assert isinstance(jobs["referrals.purge_old_clicks"], crontab)  # daily
    assert isinstance(jobs["core.purge_expired_sessions"], crontab)  # daily
    # Nightly, UTC: journeys are refreshed before customer health is recomputed from them.
    assert jobs["journey.refresh_journeys"] == crontab(minute=30, hour=2)
    assert jobs["journey.recompute_health"] == crontab(minute=0, hour=3)
    assert celery_settings(None, sweep_seconds=15, webhook_deadline=10)["timezone"] == "UTC"


def test_every_scheduled_job_is_a_registered_task(app):
    celery_app = app.extensions["celery"]
    assert {entry["task"] for entry in celery_app.conf.beat_schedule.values()} <= set(celery_app.tasks)


def test_webhook_deliveries_have_a_queue_and_time_limits_of_their_own(app):
    celery_app = app.extensions["celery"]
    route = celery_app.amqp.router.route({}, "leads.deliver_webhook")
    assert route["queue"].name == "webhooks"
    assert celery_app.amqp.router.route({}, "core.erase_member_content")["queue"].name == "celery"
    task = celery_app.tasks["leads.deliver_webhook"]
    deadline = app.config["WEBHOOK_DEADLINE_SECONDS"]
    assert deadline < task.soft_time_limit < task.time_limit


def test_sql_parameters_never_reach_errors_or_logs(app):
    assert Config.SQLALCHEMY_ENGINE_OPTIONS["hide_parameters"] is True
    with app.app_context():
        assert db.engine.hide_parameters is True


def test_production_refuses_to_start_without_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig, SECRET_KEY=None, PUBLIC_SITE_URL="https://community.brand.example")


@pytest.mark.parametrize("site", [None, "", "community.brand.example", "ftp://community.brand.example"])
def test_production_refuses_to_start_without_its_public_site_url(site):
    with pytest.raises(RuntimeError, match="PUBLIC_SITE_URL"):
        create_app(ProductionConfig, SECRET_KEY="k" * 48, PUBLIC_SITE_URL=site)


def test_production_has_no_default_public_site_url():
    assert ProductionConfig.PUBLIC_SITE_URL == env_str("PUBLIC_SITE_URL")  # None unless the environment sets it


def test_unknown_environment_name_is_refused():
    with pytest.raises(RuntimeError, match="PEERLOOP_ENV"):
        config_for("staging-typo")


def test_lists_are_comma_separated(monkeypatch):
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example,")
    assert env_list("CORS_ORIGINS") == ["https://a.example", "https://b.example"]


@pytest.mark.parametrize("configured", [1.1, 2.5, None])
def test_postgresql_connections_price_random_pages_as_configured(database_uri, configured):
    """Every connection the app opens plans with DATABASE_RANDOM_PAGE_COST, after a rollback too
    (it is set at connect and committed); None ("server") leaves the server's own setting."""
    if not database_uri.startswith("postgresql"):
        pytest.skip("a PostgreSQL planner setting")
    server = sa.create_engine(database_uri)
    with server.connect() as connection:
        servers_own = connection.exec_driver_sql("SHOW random_page_cost").scalar()
    server.dispose()
    # A bare app with the database alone: create_app would also rebind Celery's tasks to it.
    app = Flask("planner-test")
    app.config.update(SQLALCHEMY_DATABASE_URI=database_uri, DATABASE_RANDOM_PAGE_COST=configured)
    db.init_app(app)
    tune_planner(app)
    with app.app_context(), db.engine.connect() as connection:  # the engine's own, not the tests' session
        seen = [connection.exec_driver_sql("SHOW random_page_cost").scalar()]
        connection.rollback()
        seen.append(connection.exec_driver_sql("SHOW random_page_cost").scalar())
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()
    expected = servers_own if configured is None else f"{configured:g}"
    assert seen == [expected, expected]
