"""The application factory: a table of contents of register_* steps."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from urllib.parse import urlsplit

import swagger_ui_bundle
from flask import Blueprint, Flask
from flask.sessions import SessionInterface

import core.accounts.tasks  # noqa: F401  (registers its tasks with Celery)
import core.database  # noqa: F401  (registers the engine listeners SQLite needs)
import core.outbox.tasks  # noqa: F401  (registers the sweep with Celery)
from config import Config, config_for
from core.accounts.routes import blp as accounts_blp
from core.accounts.seed import seed_demo as seed_accounts
from core.caller import RequestIdFilter, assign_request_id
from core.celery import celery_init_app as bind_celery
from core.cli import seed_demo, users_cli
from core.database import tune_planner
from core.errors import register_errorhandlers
from core.extensions import api, cors, db, limiter, login_manager, migrate
from core.health import health_bp
from core.mail import init_mail
from core.notifications.routes import blp as notifications_blp
from core.outbox.dispatch import start_background_runner
from core.proxies import TrustedProxies
from core.routing import BoundedIntConverter
from core.schemas import ErrorSchema
from core.security import add_link_headers, register_security

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | None = None, **overrides) -> Flask:
    app = Flask(
        "peerloop", root_path=str(PROJECT_ROOT), instance_path=str(PROJECT_ROOT / "instance"), static_folder=None
    )
    app.config.from_object(config or config_for())
    app.config.update(overrides)
    check_config(app)
    configure_logging(app)
    register_proxies(app)
    register_extensions(app)
    register_blueprints(app)
    connect_signal_receivers()
    register_errorhandlers(app)
    celery_init_app(app)
    register_cli(app)
    return app


def create_links_app(config: type[Config] | None = None, **overrides) -> Flask:
    """A lean app for the hottest path, the public link pages (/r/<code>): the same config,
    database and views as the main app, none of the API's machinery (sessions, login,
    rate limits, CORS, OpenAPI), and on PostgreSQL an autocommit engine without
    pre-ping, so a click is one round trip. (Without pre-ping, the first click on a
    connection the database dropped gets a 503 and the pool is refreshed.)"""
    # Domains are imported only while an app is composed, so importing core never loads a domain.
    from referrals.routes import public_bp

    app = Flask("peerloop-links", root_path=str(PROJECT_ROOT), static_folder=None)
    app.config.from_object(config or config_for())
    app.config.update(overrides)
    check_config(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "isolation_level": "AUTOCOMMIT",
            "pool_pre_ping": False,
        }
    register_proxies(app)
    db.init_app(app)
    tune_planner(app)
    app.session_interface = NoSessions()
    app.before_request(assign_request_id)
    app.after_request(add_link_headers)
    register_errorhandlers(app)
    app.register_blueprint(public_bp)
    return app


class NoSessions(SessionInterface):
    """The links app reads and writes no session cookie."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response):
        return None


class HotPathDispatcher:
    """WSGI: requests under `prefix` go to the lean links app, everything else to the main app."""

    def __init__(self, main: Flask, links: Flask, prefix: str = "/r/"):
        self.main, self.links, self.prefix = main, links, prefix

    def __call__(self, environ, start_response):
        hot = environ.get("PATH_INFO", "").startswith(self.prefix)
        return (self.links if hot else self.main)(environ, start_response)


def check_config(app: Flask) -> None:
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set; refusing to start without one.")
    site = urlsplit(app.config.get("PUBLIC_SITE_URL") or "")
    if site.scheme not in ("http", "https") or not site.hostname:
        raise RuntimeError("PUBLIC_SITE_URL must be the site's absolute http(s) URL; refusing to start without one.")
    if app.config["TRUSTED_PROXY_COUNT"] < 0:
        raise RuntimeError("TRUSTED_PROXY_COUNT must be 0 or more.")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def register_proxies(app: Flask) -> None:
    """The client address (and scheme) as the trusted proxies in front saw it (TRUSTED_PROXY_COUNT)."""
    app.wsgi_app = TrustedProxies(app.wsgi_app, app.config)


def configure_logging(app: Flask) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "peerloop", False)]
    handler.peerloop = True
    root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    tune_planner(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    limiter.init_app(app)
    init_mail(app)
    cors.init_app(app, resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}}, supports_credentials=True)
    api.ERROR_SCHEMA = ErrorSchema
    api.init_app(app, spec_kwargs=spec_kwargs())
    register_security(app)
    app.register_blueprint(swagger_assets_blueprint())


def spec_kwargs() -> dict:
    error = {"description": "{}", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {
        "components": {
            "securitySchemes": {
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "peerloop_session"},
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "ingestBasic": {"type": "http", "scheme": "basic", "description": "Integration key as username"},
            },
            "responses": {
                "UNAUTHORIZED": {**error, "description": "Not signed in, or bad token"},
                "FORBIDDEN": {**error, "description": "Signed in, but not allowed"},
            },
        }
    }


def swagger_assets_blueprint() -> Blueprint:
    """Swagger UI's files from the installed package, so /api/docs works offline."""
    return Blueprint(
        "swagger_assets",
        __name__,
        static_folder=swagger_ui_bundle.swagger_ui_path,
        static_url_path="/api/docs/assets",
    )


def register_blueprints(app: Flask) -> None:
    """The API's blueprints under /api/v1, and the pages outside it."""
    # Domains are imported only while an app is composed, so importing core never loads a domain.
    import console
    from community.routes import blp as community_blp
    from journey.routes import blp as journey_blp
    from leads.routes import blp as leads_blp
    from referrals.routes import blp as referrals_blp
    from referrals.routes import document_public_links
    from referrals.routes import public_bp as referral_links_bp

    app.url_map.converters["int"] = BoundedIntConverter
    app.register_blueprint(health_bp)
    for blp in (accounts_blp, notifications_blp, community_blp, referrals_blp, leads_blp, journey_blp):
        api.register_blueprint(blp, url_prefix="/api/v1")
    app.register_blueprint(referral_links_bp)  # /r/<code>, outside the API
    console.init_app(app)  # the server-rendered pages under /console/
    document_public_links(api.spec, app.url_map)


def connect_signal_receivers() -> None:
    """Each domain's signals module connects its receivers (process-wide) when it is imported."""
    # Domains are imported only while an app is composed, so importing core never loads a domain.
    import community.signals  # noqa: F401
    import core.notifications.signals  # noqa: F401
    import journey.signals  # noqa: F401
    import leads.signals  # noqa: F401
    import referrals.signals  # noqa: F401


def celery_init_app(app: Flask):
    """Celery bound to the app, every domain's tasks registered by name."""
    # Domains are imported only while an app is composed, so importing core never loads a domain.
    import community.tasks  # noqa: F401
    import journey.tasks  # noqa: F401
    import leads.tasks  # noqa: F401
    import referrals.tasks  # noqa: F401

    celery_app = bind_celery(app)
    app.before_request(start_background_runner)
    return celery_app


def register_cli(app: Flask) -> None:
    # Domains are imported only while an app is composed, so importing core never loads a domain.
    from community.seed import seed_demo as seed_community
    from journey.seed import seed_demo as seed_journey
    from leads.seed import seed_demo as seed_leads
    from referrals.cli import referrals_cli
    from referrals.seed import seed_demo as seed_referrals

    app.cli.add_command(users_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(referrals_cli)  # the click spool and the rollups
    app.extensions["demo_seeders"] = [seed_accounts, seed_community, seed_referrals, seed_leads, seed_journey]
