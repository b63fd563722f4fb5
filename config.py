"""Configuration classes, chosen by ``PIGLIST_CONFIG`` (development / testing / production).

Everything that differs between machines comes from the environment; see the
README's "Configuration" table.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


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
        raise RuntimeError(
            f"TRUSTED_PROXIES must be a whole number of proxy hops (0 or more), not {value!r}."
        )
    return int(value)


class Config:
    ENV_NAME = "base"
    TESTING = False
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL"), f"sqlite:///{INSTANCE_DIR / 'piglist.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # PostgreSQL connections each web process keeps open, and how many more it may open for a
    # burst (closed again after it). A gevent worker serves many requests at once and each holds
    # a connection until it ends: with SQLAlchemy's 5, a worker under 8 concurrent page loads
    # opened and closed a connection every 20 requests.
    DATABASE_POOL_SIZE = int(os.environ.get("DATABASE_POOL_SIZE") or 10)
    DATABASE_MAX_OVERFLOW = int(os.environ.get("DATABASE_MAX_OVERFLOW") or 20)
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
    TRUSTED_PROXIES = proxy_hops(os.environ.get("TRUSTED_PROXIES"), 0)
    LOG_JSON = True

    # A viewer silent this long is gone (SPEC: 60 s); shorter only for tests of the silence.
    PRESENCE_TTL_SECONDS = float(os.environ.get("PRESENCE_TTL_SECONDS") or 60)
    # Server pings keep sockets alive through proxies and find dead peers; frames stay small.
    SOCK_SERVER_OPTIONS = {"ping_interval": 25, "max_message_size": 4096}

    # Each web process keeps the lists it rendered, keyed on the database's versions
    # (piglist.gifts.listcache): at most this many bytes, each list at most this long. 0: off.
    LIST_CACHE_BYTES = int(os.environ.get("LIST_CACHE_BYTES") or 32 * 1024 * 1024)
    LIST_CACHE_SECONDS = 600.0

    # API tokens and logins each web process recognises without the database while Redis says
    # nothing about their user changed (piglist.auth.credentials): how many, how long at most. 0: off.
    CREDENTIAL_CACHE_ENTRIES = int(os.environ.get("CREDENTIAL_CACHE_ENTRIES") or 10_000)
    CREDENTIAL_CACHE_SECONDS = 60.0

    SCRAPER_ALLOW_HOSTS = allow_hosts(os.environ.get("SCRAPER_ALLOW_HOSTS"))
    JOB_RETRY_DELAYS = (2, 4, 8)  # seconds; exponential backoff between a job's attempts
    SCRAPER_TIMEOUT = 10.0  # seconds to connect, and between bytes read
    # Pages that build their product with JavaScript are rendered in headless Chromium by the
    # worker (piglist.scraping.rendering): "auto" when Chromium is installed, or "off".
    SCRAPER_RENDER = os.environ.get("SCRAPER_RENDER") or "auto"
    SCRAPER_RENDER_SECONDS = 15.0

    # E-mail (piglist/mail.py). No SMTP_URL: each mail is written to the log instead of sent.
    SMTP_URL: str | None = os.environ.get("SMTP_URL") or None
    MAIL_FROM: str | None = os.environ.get("MAIL_FROM") or None
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
        """Last checks and settings that need the app; refuses a configuration that cannot be right."""


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    LOG_JSON = os.environ.get("LOG_JSON", "0") == "1"

    @classmethod
    def init_app(cls, app) -> None:
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = development_secret_key()


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
    SMTP_URL = None
    SMTP_CA_FILE = None


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS = True
    # The platform's router is one hop in front of gunicorn.
    TRUSTED_PROXIES = proxy_hops(os.environ.get("TRUSTED_PROXIES"), 1)

    @classmethod
    def init_app(cls, app) -> None:
        if not app.config.get("SECRET_KEY"):
            raise RuntimeError("SECRET_KEY must be set in production (PIGLIST_CONFIG=production).")
        if app.config.get("SMTP_URL") and not app.config.get("MAIL_FROM"):
            raise RuntimeError("MAIL_FROM must be set when SMTP_URL is (PIGLIST_CONFIG=production).")


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
        raise RuntimeError(f"PIGLIST_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}.") from None
