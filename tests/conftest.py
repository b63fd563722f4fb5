"""Fixtures for the whole suite.

Isolation recipe: every test process (one per pytest-xdist worker) gets a PostgreSQL
database of its own, created for this run beside ``TEST_DATABASE_URL``'s and dropped at
the end, and a Redis database of its own, claimed on ``TEST_REDIS_URL``'s server; so
workers never see each other, and two runs can share one PostgreSQL and one Redis. The
schema is built once per process by the real migrations; each test gets a fresh app
and, when it ends, every table is truncated (identities restarted) and its Redis
database flushed. Truncation rather than a rolled-back transaction, because
concurrency tests need real commits seen by other connections.

Tests that must also hold on the embedded default take ``@both_backends``: they run
once on PostgreSQL + Redis and once on SQLite with in-memory presence and rate limits.
"""

from __future__ import annotations

import atexit
import contextvars
import functools
import os
import re
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy import make_url, text

from config import TestingConfig, database_url
from piglist import create_app
from piglist.extensions import db
from piglist.models import User

from . import factories

BASE_PG_URL = database_url(os.environ.get("TEST_DATABASE_URL"), "postgresql://root@127.0.0.1:5432/test")
BASE_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
RUN = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:8]}"
PG_URL = (
    make_url(BASE_PG_URL)
    .set(database=f"{make_url(BASE_PG_URL).database}_{RUN}")
    .render_as_string(hide_password=False)
)
PASSWORD = factories.PASSWORD
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _create_process_database() -> None:
    """This process's database on TEST_DATABASE_URL's server, dropped when the process ends."""
    name = make_url(PG_URL).database
    try:
        with psycopg.connect(_libpq(BASE_PG_URL), connect_timeout=3, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        pytest.exit(
            f"PostgreSQL is not usable at {_libpq(BASE_PG_URL)} ({exc}). Start it (make test does) or "
            "set TEST_DATABASE_URL to a database whose user may create databases.",
            returncode=3,
        )

    def drop() -> None:
        with psycopg.connect(_libpq(BASE_PG_URL), connect_timeout=3, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)


CLAIM_SECONDS = 3 * 60 * 60


@functools.cache
def redis_url() -> str:
    """This process's Redis database: the first at or after TEST_REDIS_URL's that no other test
    process holds. Claims are keys in database 0 that expire, so a killed run frees its database."""
    base = urlsplit(BASE_REDIS_URL)
    first = int(base.path.strip("/") or 0)
    try:
        # Claims live in database 0, which no test flushes (a URL's own database wins over db=).
        admin = redis.Redis.from_url(urlunsplit(base._replace(path="/0")), socket_connect_timeout=3)
        count = int(admin.config_get("databases").get("databases", 16))
        for number in range(max(first, 1), count):
            if admin.set(f"piglist:test-claim:{number}", RUN, nx=True, ex=CLAIM_SECONDS):
                atexit.register(admin.delete, f"piglist:test-claim:{number}")
                return urlunsplit(base._replace(path=f"/{number}"))
    except redis.RedisError as exc:
        pytest.exit(
            f"Redis is not reachable at {BASE_REDIS_URL} ({exc}). Start it (make test does) or set "
            "TEST_REDIS_URL.",
            returncode=3,
        )
    pytest.exit(f"Every Redis database at {BASE_REDIS_URL} is held by another test run.", returncode=3)


@pytest.fixture(scope="session")
def pg_schema():
    """This process's PostgreSQL database, its schema built by the migrations, for the whole run."""
    _create_process_database()
    redis.Redis.from_url(redis_url()).flushdb()
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=PG_URL, REDIS_URL=redis_url())
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return PG_URL


def _truncate_all() -> None:
    tables = ", ".join(table.name for table in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        # A connection a test left open would make TRUNCATE wait for ever; fail loudly instead.
        conn.execute(text("SET LOCAL lock_timeout = '20s'"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


class IsolatedClient(FlaskClient):
    """Runs each request in an empty context, as a real server would. Without this, Flask reuses the
    test's own app context for requests, and ``g`` (the logged-in user, the CSRF token) and the
    database session would leak from one request into the next."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


class IsolatedCliRunner(FlaskCliRunner):
    def invoke(self, *args, **kwargs):
        return contextvars.Context().run(super().invoke, *args, **kwargs)


def _make_app(request, tmp_path_factory, **overrides):
    backend = getattr(request, "param", "postgresql")
    if backend == "postgresql":
        request.getfixturevalue("pg_schema")
        redis.Redis.from_url(redis_url()).flushdb()
        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=PG_URL, REDIS_URL=redis_url(), **overrides)
    else:
        path = tmp_path_factory.mktemp("sqlite") / "piglist.sqlite3"
        app = create_app(
            TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", REDIS_URL=None, **overrides
        )
        with app.app_context():
            upgrade()
    app.config["TEST_BACKEND"] = backend
    app.test_client_class = IsolatedClient
    app.test_cli_runner_class = IsolatedCliRunner
    return app


@pytest.fixture
def app(request, tmp_path_factory):
    """The app, with an app context pushed for the test's own database work (factories, checks)."""
    app = _make_app(request, tmp_path_factory)
    with app.app_context():
        yield app
        db.session.remove()
        if app.config["TEST_BACKEND"] == "postgresql":
            _truncate_all()
            redis.Redis.from_url(redis_url()).flushdb()
        db.engine.dispose()


both_backends = pytest.mark.parametrize("app", ["postgresql", "sqlite"], indirect=True)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client) -> str:
    """The CSRF token of the client's session, read from a page's meta tag like Turbo does."""
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    match = CSRF_META.search(page)
    assert match, "no csrf-token meta on the page"
    return match.group(1)


class AuthActions:
    """Log in and out through the real pages (flaskr's ``auth`` helper)."""

    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = PASSWORD, **extra):
        return self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": csrf_token(self.client), **extra},
        )

    def login_as(self, user: User):
        response = self.login(user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": csrf_token(self.client)})


@pytest.fixture
def auth(client):
    return AuthActions(client)


class ApiClient:
    """Calls /api/v1 with a personal token, as a program would."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def call(self, method: str, path: str, json=None, headers=None, **kwargs):
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.client.open("/api/v1" + path, method=method, json=json, headers=headers, **kwargs)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.call("POST", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.call("PATCH", path, json=json, **kw)

    def delete(self, path, json=None, **kw):
        return self.call("DELETE", path, json=json, **kw)


@pytest.fixture
def api(app):
    """``api(user)``: an API client authenticated with a fresh token of that user's."""

    def for_user(user: User | None = None) -> ApiClient:
        token = factories.token_for(user) if user is not None else None
        return ApiClient(app.test_client(), token)

    return for_user


@pytest.fixture
def user(app):
    return factories.make_user(email="alice@example.org", display_name="Alice")


@pytest.fixture
def family(app):
    return factories.make_family()
