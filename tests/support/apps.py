"""The app a test gets: on this process's PostgreSQL and Redis, or on a copy of a migrated SQLite
file (``@both_backends``), with clients that run each request in an empty context as a server would.
"""

from __future__ import annotations

import contextvars
import shutil

import pytest
from flask.testing import FlaskClient, FlaskCliRunner

from config import TestingConfig
from piglist import create_app

from .databases import PG_URL, process_redis, redis_url
from .speedups import TEMPLATE_BYTECODE


class IsolatedClient(FlaskClient):
    """Runs each request in an empty context, as a real server would. Without this, Flask reuses the
    test's own app context for requests, and ``g`` (the logged-in user, the CSRF token) and the
    database session would leak from one request into the next."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


class IsolatedCliRunner(FlaskCliRunner):
    def invoke(self, *args, **kwargs):
        return contextvars.Context().run(super().invoke, *args, **kwargs)


def make_app(request, tmp_path_factory, **overrides):
    backend = getattr(request, "param", "postgresql")
    if backend == "postgresql":
        request.getfixturevalue("pg_schema")
        process_redis().flushdb()
        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=PG_URL, REDIS_URL=redis_url(), **overrides)
    else:
        path = tmp_path_factory.mktemp("sqlite") / "piglist.sqlite3"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        app = create_app(
            TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", REDIS_URL=None, **overrides
        )
    app.config["TEST_BACKEND"] = backend
    app.jinja_env.bytecode_cache = TEMPLATE_BYTECODE
    app.test_client_class = IsolatedClient
    app.test_cli_runner_class = IsolatedCliRunner
    return app


both_backends = pytest.mark.parametrize("app", ["postgresql", "sqlite"], indirect=True)
