"""Piglist: family gift lists that keep the surprise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import make_url
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Config, config_from_env

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | None = None, **overrides: Any) -> Flask:
    """Build the app. ``overrides`` win over the config class (tests use them)."""
    from piglist.web.templating import PiglistFlask

    app = PiglistFlask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    config_class = config or config_from_env()
    app.config.from_object(config_class)
    app.config.update(overrides)
    config_class.init_app(app)

    from piglist.web import logs
    from piglist.web.jsonprovider import PiglistJSONProvider

    app.json = PiglistJSONProvider(app)

    from piglist.web import assets

    # First, so its compression runs after every other after_request (Flask runs them in reverse).
    assets.init_app(app)

    from piglist.web import inputs

    from .pictures import uploads

    logs.init_app(app)
    uploads.init_app(app)  # before anything reads a request's body
    inputs.init_app(app)
    register_extensions(app)
    register_blueprints(app)

    from piglist.ops import cli, housekeeping, metrics
    from piglist.stores import mail
    from piglist.web import errors, idempotency, security

    from .gifts import listcache, rendering
    from .rules.lock import is_frozen
    from .rules.money import about, format_money

    app.jinja_env.tests["frozen"] = is_frozen  # {% if group is frozen %}
    app.jinja_env.filters["money"] = format_money  # {{ gift.price | money(gift.currency) }}
    app.jinja_env.filters["about"] = about  # {{ gift.price | about(gift.currency, group.currency) }}
    errors.init_app(app)
    idempotency.init_app(app)
    listcache.init_app(app)
    rendering.init_app(app)
    housekeeping.init_app(app)
    mail.init_app(app)
    security.init_app(app)
    cli.init_app(app)
    metrics.init_app(app)

    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        # Only the last ``hops`` entries of X-Forwarded-* were written by proxies we run behind.
        # Flask's documented way to add middleware is assigning to this method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )
    return app


def register_extensions(app: Flask) -> None:
    from piglist import live
    from piglist.scraping import service as scraping
    from piglist.stores import database, jobs, redis_store

    from .auth import credentials
    from .extensions import csrf, db, limiter, login_manager, migrate, sock

    postgresql = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql"
    if postgresql:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **database.engine_options(app.config),
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        }
    db.init_app(app)
    if postgresql:
        database.init_app(app, db)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    redis_store.init_app(app)
    credentials.init_app(app)
    live.init_app(app)
    jobs.init_app(app)
    scraping.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    limiter.init_app(app)
    sock.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"


def register_blueprints(app: Flask) -> None:
    from .admin.routes import bp as admin_bp
    from .api.routes import bp as api_bp
    from .auth.routes import bp as auth_bp
    from .gifts.routes import bp as gifts_bp
    from .groups.routes import bp as groups_bp
    from .lists.routes import bp as lists_bp
    from .live.routes import bp as live_bp
    from .main.routes import bp as main_bp
    from .occasions.routes import bp as occasions_bp
    from .pictures.routes import bp as pictures_bp
    from .santa.routes import bp as santa_bp
    from .webapp.routes import bp as webapp_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(webapp_bp)
    app.register_blueprint(pictures_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(groups_bp)
    app.register_blueprint(gifts_bp)
    app.register_blueprint(lists_bp)
    app.register_blueprint(live_bp)
    app.register_blueprint(occasions_bp)
    app.register_blueprint(santa_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
