"""Configuration from the environment."""

import pytest

from config import ProductionConfig, celery_settings, config_for, database_url, env_list
from core.app import create_app


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
    assert celery_settings(None)["task_always_eager"] is True
    assert celery_settings("redis://127.0.0.1:6379/0")["task_always_eager"] is False


def test_production_refuses_to_start_without_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig, SECRET_KEY=None)


def test_unknown_environment_name_is_refused():
    with pytest.raises(RuntimeError, match="PEERLOOP_ENV"):
        config_for("staging-typo")


def test_lists_are_comma_separated(monkeypatch):
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example,")
    assert env_list("CORS_ORIGINS") == ["https://a.example", "https://b.example"]
