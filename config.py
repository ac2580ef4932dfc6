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


def env_float(name: str, default: float) -> float:
    value = env_str(name)
    return float(value) if value is not None else default


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


WEBHOOK_QUEUE = "webhooks"


def beat_schedule(sweep_seconds: int, sla_check_seconds: int = 300) -> dict:
    """Every periodic job the product needs, run by `celery -A wsgi.celery_app worker --beat`.
    One entry per job: later jobs add theirs here."""
    return {
        # Overdue leads are announced once each; a check that missed its turn is dropped, the next finds them.
        "leads-check-claim-sla": {
            "task": "leads.check_claim_sla",
            "schedule": float(sla_check_seconds),
            "options": {"expires": sla_check_seconds},
        },
        # A sweep nobody ran before the next one is due is dropped, not piled up behind it.
        "sweep-outbox": {
            "task": "core.sweep_outbox",
            "schedule": float(sweep_seconds),
            "options": {"expires": sweep_seconds},
        },
        "purge-old-clicks": {"task": "referrals.purge_old_clicks", "schedule": crontab(minute=17, hour=3)},
        # No entry drains the referral click spool: it lies on the disk of the web host that answered the
        # clicks, and beat hands a job to any worker; each web process's drainer thread drains its own host.
        "purge-expired-sessions": {"task": "core.purge_expired_sessions", "schedule": crontab(minute=29, hour=3)},
        # Journeys first, so the health recompute reads stages as of tonight.
        "journey-refresh-journeys": {"task": "journey.refresh_journeys", "schedule": crontab(minute=30, hour=2)},
        "journey-recompute-health": {"task": "journey.recompute_health", "schedule": crontab(minute=0, hour=3)},
    }


def celery_settings(
    broker_url: str | None, *, sweep_seconds: int, webhook_deadline: int, sla_check_seconds: int = 300
) -> dict:
    """Without a broker, tasks run in-process (the embedded default)."""
    # The backstop behind each delivery attempt's own deadline: a stuck delivery is interrupted
    # (soft) and, failing that, its worker process replaced (hard).
    webhook_limit = webhook_deadline + 20
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
        # A publish that finds the broker down fails at once (one quick retry, a bounded connect)
        # instead of holding the request: its outbox row waits for the sweep.
        "broker_transport_options": {
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.2,
            "socket_connect_timeout": 5,
        },
        # Webhook receivers are strangers: their deliveries wait in a queue of their own, so a slow
        # one never delays erasure or rescoring (`worker -Q celery,webhooks`).
        "task_routes": {"leads.deliver_webhook": {"queue": WEBHOOK_QUEUE}},
        "task_annotations": {
            "leads.deliver_webhook": {"soft_time_limit": webhook_limit, "time_limit": webhook_limit + 15}
        },
        "beat_schedule": beat_schedule(sweep_seconds, sla_check_seconds),
        "timezone": "UTC",  # the crontab entries above are UTC times
    }


class Config:
    ENV_NAME = "base"
    SECRET_KEY = env_str("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = database_url(env_str("DATABASE_URL"))
    # Pre-ping survives database restarts at the price of one round trip per request. Errors and
    # logs never show a statement's parameters: they carry secrets, tokens and emails.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": env_bool("DATABASE_POOL_PRE_PING", True), "hide_parameters": True}
    # PostgreSQL's planner price of a random page read, set on each connection (core.database.tune_planner):
    # Peerloop reads by index from memory, the server's default prices spinning disks. "server" keeps it.
    DATABASE_RANDOM_PAGE_COST = (
        None if env_str("DATABASE_RANDOM_PAGE_COST") == "server" else env_float("DATABASE_RANDOM_PAGE_COST", 1.1)
    )
    # Deferred work is an outbox row; a sweep re-sends what is still pending this often.
    OUTBOX_SWEEP_SECONDS = env_int("OUTBOX_SWEEP_SECONDS", 60)
    # True: deferred work runs in the committing thread, right after the commit (tests). False:
    # published to the broker after commit, or without a broker run by a background thread.
    OUTBOX_INLINE = False
    # How many reverse proxies stand in front (each appends to X-Forwarded-For); 0 ignores the header.
    TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
    # Downgrading past the first revision of a domain drops its tables: only with this set.
    ALLOW_DESTRUCTIVE_DOWNGRADE = env_bool("PEERLOOP_ALLOW_DESTRUCTIVE_DOWNGRADE", False)

    PUBLIC_SITE_URL = env_str("PUBLIC_SITE_URL", "http://127.0.0.1:5000")
    REDIRECT_ALLOWED_HOSTS = env_list("REDIRECT_ALLOWED_HOSTS")
    # Markdown images load only from these hosts; others become links, so readers' addresses
    # never reach a host a poster names.
    IMAGE_ALLOWED_HOSTS = env_list("IMAGE_ALLOWED_HOSTS")
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
    # Redis down: count in this process's memory rather than refuse sign-ups, logins and posts.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_SIGNUP = env_str("RATELIMIT_SIGNUP", "10 per hour")
    RATELIMIT_LOGIN = env_str("RATELIMIT_LOGIN", "10 per minute")
    # Asking for a mail (password reset, verification again): per client address and per address mailed.
    RATELIMIT_MAIL_REQUEST = env_str("RATELIMIT_MAIL_REQUEST", "5 per hour")

    # A signed-in session ends after this many days, or at logout (server-side, core.accounts.sessions).
    SESSION_LIFETIME_DAYS = env_int("SESSION_LIFETIME_DAYS", 30)
    EMAIL_VERIFICATION_HOURS = env_int("EMAIL_VERIFICATION_HOURS", 48)
    PASSWORD_RESET_MINUTES = env_int("PASSWORD_RESET_MINUTES", 60)

    # Flask-Mailman: smtp (production), console (prints mails; development) or file (one file per mail).
    MAIL_BACKEND = env_str("MAIL_BACKEND", "console")
    MAIL_SERVER = env_str("MAIL_SERVER", "localhost")
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = env_str("MAIL_USERNAME")
    MAIL_PASSWORD = env_str("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = env_str("MAIL_DEFAULT_SENDER", "Peerloop <no-reply@localhost>")
    MAIL_FILE_PATH = env_str("MAIL_FILE_PATH", str(BASE_DIR / "instance" / "mail"))
    MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 10)

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
    # /r/<code> appends each click to a spool file on local disk before it answers; a drainer
    # thread in every web process stores the spool in batches (0 switches the thread off:
    # then `flask referrals drain-clicks` or the referrals.drain_click_spool task must run).
    REFERRAL_CLICK_SPOOL_DIR = env_str("REFERRAL_CLICK_SPOOL_DIR", str(BASE_DIR / "instance" / "click-spool"))
    REFERRAL_CLICK_DRAIN_SECONDS = env_float("REFERRAL_CLICK_DRAIN_SECONDS", 0.5)
    REFERRAL_CLICK_SPOOL_ROTATE_BYTES = env_int("REFERRAL_CLICK_SPOOL_ROTATE_BYTES", 8 * 1024 * 1024)
    # Each web process remembers a link's member and campaign this long: a campaign's new landing
    # URL, its deactivation or an erased member's link take effect after at most this delay.
    REFERRAL_LINK_CACHE_SECONDS = env_float("REFERRAL_LINK_CACHE_SECONDS", 5)

    # Webhook URLs on private or loopback addresses are refused unless this is set.
    WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", False)
    # Each delivery attempt ends by this wall-clock deadline, however slowly a receiver answers,
    # and reads at most this much of the answer.
    WEBHOOK_DEADLINE_SECONDS = env_int("WEBHOOK_DEADLINE_SECONDS", 10)
    WEBHOOK_MAX_RESPONSE_BYTES = env_int("WEBHOOK_MAX_RESPONSE_BYTES", 64 * 1024)
    # A lost or disqualified lead that qualifies again this long after it was closed is an MQL again.
    LEAD_RECYCLE_DAYS = env_int("LEAD_RECYCLE_DAYS", 30)
    # How often beat looks for leads nobody claimed within the assignment rules' claim_within_hours.
    LEAD_SLA_CHECK_SECONDS = env_int("LEAD_SLA_CHECK_SECONDS", 300)
    CELERY = celery_settings(
        env_str("CELERY_BROKER_URL"),
        sweep_seconds=OUTBOX_SWEEP_SECONDS,
        webhook_deadline=WEBHOOK_DEADLINE_SECONDS,
        sla_check_seconds=LEAD_SLA_CHECK_SECONDS,
    )

    # Flask-WTF checks CSRF tokens on the console's forms only (console.init_app); the API has its own rules.
    WTF_CSRF_CHECK_DEFAULT = False

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
    CELERY = {**Config.CELERY, "task_always_eager": True}
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    OUTBOX_INLINE = True  # deterministic: deferred work has run when commit() returns
    PASSWORD_HASH_PROFILE = "CHEAPEST"
    PUBLIC_SITE_URL = "http://peerloop.test"
    MAIL_BACKEND = "file"
    MAIL_FILE_PATH = env_str("TEST_MAIL_FILE_PATH", str(BASE_DIR / "instance" / "test-mail"))
    MAIL_DEFAULT_SENDER = "Peerloop <no-reply@peerloop.test>"
    IMAGE_ALLOWED_HOSTS = ["images.brand.example"]
    REDIRECT_ALLOWED_HOSTS = ["brand.example", "shop.brand.example"]
    CORS_ORIGINS = ["https://app.brand.example"]
    # Tests drain the click spool when they choose (live servers switch the thread on), never the demo's.
    REFERRAL_CLICK_DRAIN_SECONDS = env_float("REFERRAL_CLICK_DRAIN_SECONDS", 0)
    REFERRAL_CLICK_SPOOL_DIR = env_str("REFERRAL_CLICK_SPOOL_DIR", str(BASE_DIR / "instance" / "test-click-spool"))
    REFERRAL_LINK_CACHE_SECONDS = env_float("REFERRAL_LINK_CACHE_SECONDS", 0)  # tests change links and follow them


class ProductionConfig(Config):
    ENV_NAME = "production"
    PUBLIC_SITE_URL = env_str("PUBLIC_SITE_URL")  # no default: links must name the real site
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
