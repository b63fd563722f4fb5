"""Configuration classes, chosen by ``PIGLIST_CONFIG`` (development / testing / production).

Everything that differs between machines comes from the environment; see the
README's "Configuration" table.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


class ConfigError(RuntimeError):
    """A setting that is missing or can't work: the app refuses to start, saying which in one line
    (the release line, gunicorn and the worker print it as ``Error: …``, never a traceback)."""


# Problems met while reading the environment at import. Kept, not raised, so that importing this
# module never fails: the entry points ask :func:`check` and print the first one.
_PROBLEMS: dict[str, str] = {}


def whole_number(name: str, default: int, minimum: int = 0) -> int:
    """The environment's ``name`` as a whole number of at least ``minimum``; the default when
    unset, and a recorded problem when it is anything else."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip()
    if not (value.isascii() and value.isdigit()) or int(value) < minimum:
        _PROBLEMS[name] = f"{name} must be a whole number ({minimum} or more), not {raw!r}."
        return default
    return int(value)


def database_url(value: str | None, default: str) -> str:
    """Heroku-style platforms still hand out ``postgres://``, which SQLAlchemy no longer accepts."""
    url = value or default
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def development_secret_key() -> str:
    """A key generated once per checkout, so sessions survive restarts without anyone setting one."""
    INSTANCE_DIR.mkdir(exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def allow_hosts(value: str | None) -> frozenset[str]:
    return frozenset(part.strip().lower() for part in (value or "").split(",") if part.strip())


def proxy_hops(value: str | None, default: int) -> int:
    """How many proxies in front of the app append to X-Forwarded-*: those hops are believed,
    anything a client wrote before them is not."""
    if value is None or not value.strip():
        return default
    if not value.strip().isdigit() or not value.isascii():
        raise ConfigError(f"TRUSTED_PROXIES must be a whole number of proxy hops (0 or more), not {value!r}.")
    return int(value)


def trusted_proxies(default: int) -> int:
    try:
        return proxy_hops(os.environ.get("TRUSTED_PROXIES"), default)
    except ConfigError as exc:
        _PROBLEMS["TRUSTED_PROXIES"] = str(exc)
        return default


MAIL_BACKENDS = ("smtp", "log")
SMTP_SCHEMES = ("smtp", "smtps")


def public_url_problem(value: str) -> str | None:
    """Why ``value`` can't be the site's address for links, or None. Links are built by joining
    paths to it, so it is a bare http(s) origin with at most a path: no query, fragment or login."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises on a port that isn't a number)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
        or not value.isascii()
        or any(c.isspace() for c in value)
    ):
        return f"PUBLIC_URL must be the site's address, like https://piglist.example, not {value!r}."
    return None


def smtp_url_problem(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in SMTP_SCHEMES or not parts.hostname:
        return "SMTP_URL must look like smtp://user:password@host:port or smtps://…"
    return None


def check(settings: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` for the first setting that can't work in ``settings`` (an app's
    config, or a config class's values read by :func:`settings_of`)."""
    production = settings.get("ENV_NAME") == "production"
    if _PROBLEMS:
        raise ConfigError(next(iter(_PROBLEMS.values())))
    if production and not settings.get("SECRET_KEY"):
        raise ConfigError("SECRET_KEY must be set in production (PIGLIST_CONFIG=production).")
    if production and len(settings["SECRET_KEY"]) < 16:
        raise ConfigError(
            "SECRET_KEY must be long and random (at least 16 characters; 64 hex digits is good)."
        )
    public_url = settings.get("PUBLIC_URL")
    if production and not public_url:
        raise ConfigError(
            "PUBLIC_URL must be set in production: the site's address for links in mails, like https://piglist.example."
        )
    if public_url and (problem := public_url_problem(public_url)):
        raise ConfigError(problem)
    backend = settings.get("MAIL_BACKEND")
    smtp_url = settings.get("SMTP_URL")
    if backend and backend not in MAIL_BACKENDS:
        raise ConfigError(f"MAIL_BACKEND must be one of {', '.join(MAIL_BACKENDS)}, not {backend!r}.")
    if backend == "log" and smtp_url:
        raise ConfigError(
            "MAIL_BACKEND=log writes mails to the log: unset SMTP_URL, or MAIL_BACKEND to send them."
        )
    if not smtp_url and (backend == "smtp" or (production and backend != "log")):
        raise ConfigError(
            "SMTP_URL must be set in production, so mails are sent (MAIL_BACKEND=log writes them to the log instead)."
            if production
            else "MAIL_BACKEND=smtp needs SMTP_URL."
        )
    if smtp_url and (problem := smtp_url_problem(smtp_url)):
        raise ConfigError(problem)
    if production and smtp_url and not settings.get("MAIL_FROM"):
        raise ConfigError("MAIL_FROM must be set when SMTP_URL is (PIGLIST_CONFIG=production).")
    ca_file = settings.get("SMTP_CA_FILE")
    if ca_file and not os.path.isfile(ca_file):
        raise ConfigError(f"SMTP_CA_FILE {ca_file!r} is not a file.")


# gunicorn's "App failed to load": a worker exiting with it stops gunicorn instead of being
# started again and again. The release line and the worker exit with it too.
APP_LOAD_ERROR = 4


def refuse_to_start(problem: ConfigError) -> NoReturn:
    """What every entry point does with a setting that can't work: one line, no traceback."""
    print(f"Error: {problem}", file=sys.stderr)
    raise SystemExit(APP_LOAD_ERROR)


def settings_of(config_class: type) -> dict[str, Any]:
    """A config class's settings, as ``app.config`` would hold them: for checking without an app."""
    return {name: getattr(config_class, name) for name in dir(config_class) if name.isupper()}


def check_environment() -> None:
    """:func:`check` the configuration the environment chooses; for entry points that must refuse
    to start before they build anything (gunicorn.conf.py, before any worker boots)."""
    check(settings_of(config_from_env()))


class Config:
    ENV_NAME = "base"
    TESTING = False
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL"), f"sqlite:///{INSTANCE_DIR / 'piglist.sqlite3'}"
    )
    # PostgreSQL's options come from the DATABASE_* settings (piglist.stores.database); these win.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # PostgreSQL connections each web process keeps open, and how many more it may open for a
    # burst (closed again after it). A gevent worker serves many requests at once and each holds
    # a connection until it ends: with SQLAlchemy's 5, a worker under 8 concurrent page loads
    # opened and closed a connection every 20 requests.
    DATABASE_POOL_SIZE = whole_number("DATABASE_POOL_SIZE", 10)
    DATABASE_MAX_OVERFLOW = whole_number("DATABASE_MAX_OVERFLOW", 20)
    # A hung PostgreSQL gets a 503 in seconds (piglist.stores.database): seconds to connect (libpq
    # counts at least 2), milliseconds a statement may run (0: no limit), seconds a request waits
    # for a free pooled connection.
    DATABASE_CONNECT_TIMEOUT = whole_number("DATABASE_CONNECT_TIMEOUT", 3, minimum=1)
    DATABASE_STATEMENT_TIMEOUT_MS = whole_number("DATABASE_STATEMENT_TIMEOUT_MS", 5000)
    DATABASE_POOL_TIMEOUT = whole_number("DATABASE_POOL_TIMEOUT", 5, minimum=1)
    REDIS_URL: str | None = os.environ.get("REDIS_URL") or None

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 30

    # JSON bodies and forms are small; the views that take a picture upload make room for one
    # (piglist.pictures.uploads).
    MAX_CONTENT_LENGTH = 1024 * 1024
    # A directory for the pictures' bytes; unset, they are kept in the database.
    IMAGE_STORE: str | None = os.environ.get("IMAGE_STORE") or None

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session; a family tab stays open for days

    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True  # Redis down must not take the login page with it
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_KEY_PREFIX = "piglist:rl"

    PASSWORD_HASH_METHOD = "scrypt"
    HSTS = False
    # 0: X-Forwarded-For is ignored, the socket's address counts (rate limits can't be dodged).
    TRUSTED_PROXIES = trusted_proxies(0)
    LOG_JSON = True

    # A viewer silent this long is gone (SPEC: 60 s); shorter only for tests of the silence.
    PRESENCE_TTL_SECONDS = float(os.environ.get("PRESENCE_TTL_SECONDS") or 60)
    # The longest a long poll (the change feed, a scrape's status) holds its answer (the API's
    # "at most 25"); shorter only for a test site whose fuzzing would otherwise sit out each poll.
    LONG_POLL_SECONDS = whole_number("LONG_POLL_SECONDS", 25, minimum=1)
    # Server pings keep sockets alive through proxies and find dead peers; frames stay small.
    SOCK_SERVER_OPTIONS = {"ping_interval": 25, "max_message_size": 4096}

    # Each web process keeps the lists it rendered, keyed on the database's versions
    # (piglist.gifts.listcache): at most this many bytes, each list at most this long. 0: off.
    LIST_CACHE_BYTES = whole_number("LIST_CACHE_BYTES", 32 * 1024 * 1024)
    LIST_CACHE_SECONDS = 600.0

    # API tokens and logins each web process recognises without the database while Redis says
    # nothing about their user changed (piglist.auth.credentials): how many, how long at most. 0: off.
    CREDENTIAL_CACHE_ENTRIES = whole_number("CREDENTIAL_CACHE_ENTRIES", 10_000)
    CREDENTIAL_CACHE_SECONDS = 60.0

    # Connections one web process serves at once (the Procfile passes it to gunicorn as
    # --worker-connections), and how many of them live sockets and long polls may hold together
    # (piglist.live.capacity; 80 % by default): past it they get 503 with Retry-After.
    WEB_CONNECTIONS = whole_number("WEB_CONNECTIONS", 1000, minimum=1)
    LIVE_CONNECTIONS = whole_number("LIVE_CONNECTIONS", 0) or None
    if LIVE_CONNECTIONS and LIVE_CONNECTIONS > WEB_CONNECTIONS:
        _PROBLEMS["LIVE_CONNECTIONS"] = (
            f"LIVE_CONNECTIONS ({LIVE_CONNECTIONS}) must leave pages room: at most WEB_CONNECTIONS ({WEB_CONNECTIONS})."
        )

    SCRAPER_ALLOW_HOSTS = allow_hosts(os.environ.get("SCRAPER_ALLOW_HOSTS"))
    JOB_RETRY_DELAYS = (2, 4, 8)  # seconds; exponential backoff between a job's attempts
    SCRAPER_TIMEOUT = 10.0  # seconds to connect, and between bytes read
    # The ECB's daily reference rates (SPEC 10.6), fetched by the worker once a day; "" never.
    FX_RATES_URL = os.environ.get(
        "FX_RATES_URL", "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
    )
    # Pages that build their product with JavaScript are rendered in headless Chromium by the
    # worker (piglist.scraping.rendering): "auto" when Chromium is installed, or "off".
    SCRAPER_RENDER = os.environ.get("SCRAPER_RENDER") or "auto"
    SCRAPER_RENDER_SECONDS = 15.0

    # Operators' figures (piglist/ops/metrics.py): GET /metrics answers only this bearer token; unset,
    # it is a 404. METRICS_DIR (read by piglist/stores/metrics.py) adds up every process's figures.
    METRICS_TOKEN: str | None = os.environ.get("METRICS_TOKEN") or None
    # Error tracking (piglist/ops/errortracking.py): Sentry's DSN; unset, nothing is sent anywhere.
    SENTRY_DSN: str | None = os.environ.get("SENTRY_DSN") or None
    RELEASE: str | None = os.environ.get("RELEASE") or os.environ.get("SOURCE_VERSION") or None

    # E-mail (piglist/stores/mail.py). No SMTP_URL: each mail is written to the log instead of sent,
    # which production accepts only when MAIL_BACKEND=log says so.
    SMTP_URL: str | None = os.environ.get("SMTP_URL") or None
    MAIL_BACKEND: str | None = os.environ.get("MAIL_BACKEND") or None
    MAIL_FROM: str | None = os.environ.get("MAIL_FROM") or None
    # The site's address: every absolute link (mails, invite and share links, the bookmarklet) is
    # built from it, never from a request's Host. Required in production.
    PUBLIC_URL: str | None = os.environ.get("PUBLIC_URL") or None
    # A PEM file of the CA certificates to trust for the SMTP server instead of the system's (a
    # relay with a private CA). Certificates are always checked; there is no switch to skip that.
    SMTP_CA_FILE: str | None = os.environ.get("SMTP_CA_FILE") or None
    SMTP_TIMEOUT = 10.0  # seconds per SMTP operation
    # An SMTP server down for the better part of an hour still gets the mail.
    MAIL_RETRY_DELAYS = (30, 120, 600, 1800)
    # A burst of edits to a bought gift makes one mail to its purchaser, this long after the first.
    ALERT_DELAY_SECONDS = 300

    @classmethod
    def init_app(cls, app) -> None:
        """Last settings that need the app, then :func:`check`: refuses a configuration that cannot be right."""
        check(app.config)


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    LOG_JSON = os.environ.get("LOG_JSON", "0") == "1"
    # `flask run`'s address (`make run` passes its own).
    PUBLIC_URL = os.environ.get("PUBLIC_URL") or "http://127.0.0.1:5000"

    @classmethod
    def init_app(cls, app) -> None:
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = development_secret_key()
        super().init_app(app)


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key"
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("TEST_DATABASE_URL"), "postgresql://root@127.0.0.1:5432/test"
    )
    REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
    # Hashing with scrypt costs ~50 ms; hundreds of test users would spend minutes on it.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    LOG_JSON = False
    JOB_RETRY_DELAYS = (0, 0, 0)
    MAIL_RETRY_DELAYS = (0, 0, 0, 0)
    # A render starts a Chromium; the tests that render turn it on.
    SCRAPER_RENDER = "off"
    # Tests serve their own feed (tests/test_fx_rates.py); none reaches the ECB.
    FX_RATES_URL = ""
    SMTP_URL = None
    MAIL_BACKEND = None
    SMTP_CA_FILE = None
    PUBLIC_URL = "http://localhost"  # the test client's host


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS = True
    # The platform's router is one hop in front of gunicorn.
    TRUSTED_PROXIES = trusted_proxies(1)


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    name = os.environ.get("PIGLIST_CONFIG", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(f"PIGLIST_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}.") from None
