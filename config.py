"""Settings read from the environment, one class per way of running Peerloop."""

from __future__ import annotations

import os
from pathlib import Path

from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    return int(value) if value is not None else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    raw = env_str(name, default) or ""
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_url(value: str | None) -> str:
    """Normalise DATABASE_URL so PostgreSQL always goes through psycopg 3."""
    if not value:
        return f"sqlite:///{BASE_DIR / 'instance' / 'peerloop.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix) :]
    return value


# What `celery -A wsgi.celery_app worker --beat` (or a separate `celery beat`) runs on its own, by
# registered task name (times in UTC).
BEAT_SCHEDULE = {
    "journey-refresh-journeys": {"task": "journey.refresh_journeys", "schedule": crontab(hour=2, minute=30)},
    "journey-recompute-health": {"task": "journey.recompute_health", "schedule": crontab(hour=3, minute=0)},
}


def celery_settings(broker_url: str | None) -> dict:
    """Without a broker, tasks run in-process (the embedded default)."""
    return {
        "broker_url": broker_url or "memory://",
        "result_backend": env_str("CELERY_RESULT_BACKEND"),
        "task_always_eager": broker_url is None,
        "task_eager_propagates": True,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        "beat_schedule": BEAT_SCHEDULE,
        "timezone": "UTC",
    }


class Config:
    ENV_NAME = "base"
    SECRET_KEY = env_str("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = database_url(env_str("DATABASE_URL"))
    # Pre-ping survives database restarts at the price of one round trip per request.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": env_bool("DATABASE_POOL_PRE_PING", True)}
    CELERY = celery_settings(env_str("CELERY_BROKER_URL"))

    PUBLIC_SITE_URL = env_str("PUBLIC_SITE_URL", "http://127.0.0.1:5000")
    REDIRECT_ALLOWED_HOSTS = env_list("REDIRECT_ALLOWED_HOSTS")
    CORS_ORIGINS = env_list("CORS_ORIGINS")
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 1024 * 1024)

    SESSION_COOKIE_NAME = "peerloop_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True

    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = env_str("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_SIGNUP = env_str("RATELIMIT_SIGNUP", "10 per hour")
    RATELIMIT_LOGIN = env_str("RATELIMIT_LOGIN", "10 per minute")

    API_TITLE = "Peerloop"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/api/docs/assets/"

    RATELIMIT_POST = env_str("RATELIMIT_POST", "30 per minute")  # per member: threads, replies
    RATELIMIT_FLAG = env_str("RATELIMIT_FLAG", "20 per hour")  # per member

    REFERRAL_WINDOW_DAYS = env_int("REFERRAL_WINDOW_DAYS", 30)
    REFERRAL_FLOOD_CLICKS = env_int("REFERRAL_FLOOD_CLICKS", 20)  # per hour, per IP hash, per code
    REFERRAL_VISITOR_COOKIE_DAYS = env_int("REFERRAL_VISITOR_COOKIE_DAYS", 395)
    REFERRAL_CLICK_RETENTION_DAYS = env_int("REFERRAL_CLICK_RETENTION_DAYS", 400)
    # Clicks commit without waiting for the disk on PostgreSQL: a crash may lose the
    # last fraction of a second of clicks, never corrupt anything.
    REFERRAL_ASYNC_CLICK_COMMIT = env_bool("REFERRAL_ASYNC_CLICK_COMMIT", True)

    # Webhook URLs on private or loopback addresses are refused unless this is set.
    WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", False)

    LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
    PASSWORD_HASH_PROFILE = "RFC_9106_LOW_MEMORY"


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    # Only the embedded demo may run with a known key; production refuses it.
    SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-secret-key")


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = database_url(env_str("TEST_DATABASE_URL", "sqlite://"))
    # Unit tests run tasks in-process; tests marked `live` switch to the real broker.
    CELERY = {**celery_settings(env_str("CELERY_BROKER_URL")), "task_always_eager": True}
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    PASSWORD_HASH_PROFILE = "CHEAPEST"
    PUBLIC_SITE_URL = "http://peerloop.test"
    REDIRECT_ALLOWED_HOSTS = ["brand.example", "shop.brand.example"]
    CORS_ORIGINS = ["https://app.brand.example"]


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None = None) -> type[Config]:
    name = name or env_str("PEERLOOP_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"PEERLOOP_ENV must be one of {sorted(CONFIGS)}, not {name!r}") from None
