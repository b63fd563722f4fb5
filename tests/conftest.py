"""Fixtures for the whole suite.

Isolation recipe: every test process (one per pytest-xdist worker) gets a PostgreSQL
database of its own, created for this run beside ``TEST_DATABASE_URL``'s and dropped at
the end, and a Redis database of its own, claimed on ``TEST_REDIS_URL``'s server; so
workers never see each other, and two runs can share one PostgreSQL and one Redis. The
schema is built once per process by the real migrations; each test gets a fresh app
and, when it ends, every table is emptied (identities restarted) and its Redis
database flushed. Emptying rather than a rolled-back transaction, because
concurrency tests need real commits seen by other connections.

Tests that must also hold on the embedded default take ``@both_backends``: they run
once on PostgreSQL + Redis and once on SQLite with in-memory presence and rate limits.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import email
import email.policy
import functools
import html
import http.server
import io
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from rq import Queue, SimpleWorker
from rq.utils import now as rq_now
from sqlalchemy import make_url, text
from werkzeug.routing import Rule

from config import TestingConfig, database_url
from piglist import create_app
from piglist.extensions import db
from piglist.models import User
from piglist.stores import jobs
from scripts import procfile_site
from scripts.procfile_site import ROOT, free_port

from . import factories
from .support.openapi import check_against_document

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


def _share_compiled_rules() -> None:
    """Each test builds its own app (isolation), and most of create_app's time is Werkzeug compiling
    its ~85 rules: parsing each rule string with regular expressions and writing two URL-builder
    functions with ``ast``. What that yields depends only on the rule and its map's converters, so in
    a test process it is done once per rule and handed to every app's copy of it: the parts and
    trace (never changed after compiling), a dict of its own of the converters (stateless, and no
    converter reads its map after construction), and the builders, which take the rule as ``self``
    when called. Apps still get rules and a matcher of their own. If Werkzeug renames what this
    sets, apps simply compile their own again."""
    compile_rule = Rule.compile
    if not all(hasattr(Rule, name) for name in ("_parse_rule", "_compile_builder")):
        return
    compiled: dict = {}

    @functools.wraps(compile_rule)
    def shared(self):
        try:
            key = (
                self.rule,
                self.subdomain,
                self.host,
                self.map.host_matching,
                self.merge_slashes,
                repr(sorted((self.defaults or {}).items())),
                tuple(sorted(self.map.converters.items())),
            )
            hash(key)
        except TypeError:
            return compile_rule(self)
        if key not in compiled:
            compile_rule(self)
            compiled[key] = (
                self._parts,
                self._trace,
                self._converters,
                frozenset(self.arguments),
                self._build.__func__,
                self._build_unknown.__func__,
            )
            return None
        parts, trace, converters, arguments, build, build_unknown = compiled[key]
        self._parts, self._trace, self._converters = list(parts), list(trace), dict(converters)
        self.arguments = set(arguments)
        self._build = build.__get__(self, None)
        self._build_unknown = build_unknown.__get__(self, None)
        return None

    Rule.compile = shared


_share_compiled_rules()


def _share_engines() -> None:
    """One SQLAlchemy engine per PostgreSQL database and set of options for the whole test process,
    rather than one per test's app: an engine's compiled-statement cache and pooled connections
    then outlive the test, as they do in a server. Apps stay per test; SQLite files (a new one per
    test) keep engines of their own."""
    make_engine = db._make_engine
    engines: dict = {}

    def shared(bind_key, options, app):
        if not str(options.get("url", "")).startswith("postgresql"):
            return make_engine(bind_key, options, app)
        key = repr(sorted(options.items(), key=lambda item: item[0]))
        if key not in engines:
            engines[key] = make_engine(bind_key, options, app)
        return engines[key]

    db._make_engine = shared


_share_engines()


def _read_redis_version_once() -> None:
    """redis-py looks its own version up in the installed package's metadata (a file parsed with
    the email module, ~1 ms) for every client it makes, and each test's app makes several, as does
    every job enqueued. A test process; the version can't change while it runs."""
    import redis.utils

    redis.utils.get_lib_version = functools.cache(redis.utils.get_lib_version)


_read_redis_version_once()


class _Bytecode(BytecodeCache):
    """Templates compiled once per test process, not once per test's app (Jinja keys each by its
    name and the checksum of its source)."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_BYTECODE = _Bytecode()


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _create_process_database() -> None:
    """This process's database on TEST_DATABASE_URL's server, dropped when the process ends."""
    create_database(make_url(PG_URL).database)


def create_database(name: str) -> str:
    """A new PostgreSQL database beside TEST_DATABASE_URL's, dropped when the process ends; its URL."""
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
    return make_url(BASE_PG_URL).set(database=name).render_as_string(hide_password=False)


CLAIM_SECONDS = 3 * 60 * 60


def _take_over_if_abandoned(admin: redis.Redis, key: str, owner: str) -> bool:
    """A claim whose process on this machine is gone (a killed run) is taken over at once rather
    than after its expiry; claims from other machines, or in an old format, are left alone."""
    held = (admin.get(key) or b"").decode()
    host, _, rest = held.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
        return False  # still running
    except ProcessLookupError:
        pass
    except PermissionError:
        return False
    # Only if nobody took it over meanwhile (compare-and-set in one transaction).
    with admin.pipeline() as pipe:
        try:
            pipe.watch(key)
            if (pipe.get(key) or b"").decode() != held:
                return False
            pipe.multi()
            pipe.set(key, owner, ex=CLAIM_SECONDS)
            pipe.execute()
        except redis.WatchError:
            return False
    return True


def claim_redis_database() -> str:
    """A Redis database of its own: the first at or after TEST_REDIS_URL's that no other test process
    holds. Claims are keys in database 0 naming the claiming process; they expire, and a claim
    whose process has died is taken over, so a killed run never blocks the next."""
    base = urlsplit(BASE_REDIS_URL)
    first = int(base.path.strip("/") or 0)
    try:
        # Claims live in database 0, which no test flushes (a URL's own database wins over db=).
        admin = redis.Redis.from_url(urlunsplit(base._replace(path="/0")), socket_connect_timeout=3)
        count = int(admin.config_get("databases").get("databases", 16))
        owner = f"{socket.gethostname()}:{os.getpid()}:{RUN}"
        for number in range(max(first, 1), count):
            key = f"piglist:test-claim:{number}"
            if admin.set(key, owner, nx=True, ex=CLAIM_SECONDS) or _take_over_if_abandoned(admin, key, owner):
                atexit.register(admin.delete, key)
                return urlunsplit(base._replace(path=f"/{number}"))
    except redis.RedisError as exc:
        pytest.exit(
            f"Redis is not reachable at {BASE_REDIS_URL} ({exc}). Start it (make test does) or set "
            "TEST_REDIS_URL.",
            returncode=3,
        )
    pytest.exit(f"Every Redis database at {BASE_REDIS_URL} is held by another test run.", returncode=3)


@functools.cache
def redis_url() -> str:
    """This process's Redis database, claimed once."""
    return claim_redis_database()


@functools.cache
def process_redis() -> redis.Redis:
    """One client on this process's Redis database for the fixtures' own work (flushing it)."""
    return redis.Redis.from_url(redis_url())


SHARED_SITES = {"procfile_site", "live_site"}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups from the markers
def pytest_collection_modifyitems(items):
    """The tests on one shared site run on one xdist worker, so a run starts each site (and the
    browser) once: the Procfile's site of the whole run, and test_live_sockets' own."""
    for item in items:
        for fixture in SHARED_SITES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group(fixture.replace("_", "-")))


def pytest_collection_finish(session):
    """pytest-xdist groups by a suffix it writes into node ids; a pytest that ignores it would
    silently start the site and the browser on every worker (pytest-dev/pytest-xdist#1386)."""
    if not getattr(session.config.option, "loadgroup", False):  # set in xdist workers only
        return
    lost = [
        item.nodeid
        for item in session.items
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid
    ]
    if lost:
        pytest.exit(
            f"pytest-xdist's --dist loadgroup is not grouping tests ({lost[0]} has no group suffix): "
            "install the pytest pinned in requirements-dev.txt.",
            returncode=3,
        )


@pytest.fixture(scope="session")
def pg_schema():
    """This process's PostgreSQL database, its schema built by the migrations, for the whole run."""
    _create_process_database()
    process_redis().flushdb()
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=PG_URL, REDIS_URL=redis_url())
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return PG_URL


@functools.cache
def _emptying_sql() -> str:
    """One round trip that empties every table, children first, and restarts every id sequence.
    DELETE rather than TRUNCATE: on tables this small, TRUNCATE's new files cost ~130 ms a test,
    DELETE ~15 ms."""
    with db.engine.connect() as conn:
        sequences = conn.execute(
            text(
                "SELECT pg_get_serial_sequence(table_name, column_name) FROM information_schema.columns"
                " WHERE table_schema = 'public'"
                " AND pg_get_serial_sequence(table_name, column_name) IS NOT NULL"
            )
        ).scalars()
        # setval, not ALTER SEQUENCE: no catalog change for every other connection to take in.
        restarts = [f"SELECT setval('{name}', 1, false)" for name in sequences]
    tables = reversed(db.metadata.sorted_tables)
    deletes = [f"DELETE FROM {table.name}" for table in tables]  # noqa: S608 (our own table names)
    # A connection a test left open would make the deletes wait for ever; fail loudly instead.
    return "; ".join(["SET LOCAL lock_timeout = '20s'", *deletes, *restarts])


def _empty_all_tables() -> None:
    with db.engine.begin() as conn:
        conn.exec_driver_sql(_emptying_sql())


class IsolatedClient(FlaskClient):
    """Runs each request in an empty context, as a real server would. Without this, Flask reuses the
    test's own app context for requests, and ``g`` (the logged-in user, the CSRF token) and the
    database session would leak from one request into the next."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


class IsolatedCliRunner(FlaskCliRunner):
    def invoke(self, *args, **kwargs):
        return contextvars.Context().run(super().invoke, *args, **kwargs)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """An SQLite file built by the real migrations once per test process; each test on SQLite gets
    a copy of it (a file copy is ~1 ms, running the migrations ~150 ms)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "piglist.sqlite3"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", REDIS_URL=None)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


def _make_app(request, tmp_path_factory, **overrides):
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


@pytest.fixture
def app(request, tmp_path_factory):
    """The app, with an app context pushed for the test's own database work (factories, checks)."""
    app = _make_app(request, tmp_path_factory)
    with app.app_context():
        yield app
        db.session.remove()
        if app.config["TEST_BACKEND"] == "postgresql":
            _empty_all_tables()
            process_redis().flushdb()
        else:
            db.engine.dispose()


both_backends = pytest.mark.parametrize("app", ["postgresql", "sqlite"], indirect=True)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client) -> str:
    """The CSRF token of the client's session, read from a page's meta tag like Turbo does. Every
    page carries it; the not-found page is the cheapest (the dashboard costs four times as much)."""
    page = client.get("/a-page-that-is-not-there").get_data(as_text=True)
    match = CSRF_META.search(page)
    assert match, "no csrf-token meta on the page"
    return match.group(1)


def post_form(client, path, data=None, **kwargs):
    """POST a page's form with the session's CSRF token, as a browser would."""
    return client.post(path, data={"csrf_token": csrf_token(client), **(data or {})}, **kwargs)


def post(client, path: str, **fields):
    return post_form(client, path, fields)


def page_text(response) -> str:
    """A page's text with HTML entities read, for checking what a person reads."""
    return html.unescape(response.get_data(as_text=True))


def is_member(group, user) -> bool:
    from piglist.models import GroupMember

    return db.session.get(GroupMember, (group.id, user.id)) is not None


@pytest.fixture
def elsewhere(app, request, tmp_path_factory):
    """The same site's other web process: its own app, caches and sessions."""
    return _make_app(request, tmp_path_factory)


def member_client(app, user):
    """A browser of its own, logged in as ``user``."""
    client = app.test_client()
    AuthActions(client).login_as(user)
    return client


def error(response) -> dict:
    """The API's error object of a response."""
    return response.get_json()["error"]


def run_together(calls):
    """Start every call at the same moment, each in its own thread; their responses' statuses."""
    barrier = threading.Barrier(len(calls))
    statuses = [None] * len(calls)

    def worker(index, call):
        barrier.wait()
        statuses[index] = call().status_code

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Counter(statuses)


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
        response = self.client.open("/api/v1" + path, method=method, json=json, headers=headers, **kwargs)
        check_against_document(response)
        return response

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


class Shop:
    """A local web shop whose answers each test decides, counting the requests it gets."""

    def __init__(self) -> None:
        self.routes: dict[str, list[tuple[int, str, str | bytes]]] = {}
        self.delays: dict[str, float] = {}
        self.hits: Counter[str] = Counter()
        shop = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                shop.hits[path] += 1
                time.sleep(shop.delays.get(path, 0))
                answers = shop.routes.get(path) or [(404, "text/html", "<h1>Not found</h1>")]
                status, content_type, body = answers.pop(0) if len(answers) > 1 else answers[0]
                data = body if isinstance(body, bytes) else body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, path: str, *answers: tuple[int, str, str | bytes]) -> str:
        self.routes[path] = list(answers)
        return f"http://{self.host}{path}"

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def shop(app):
    """A local shop the app's fetcher is allowed to reach."""
    shop = Shop()
    app.config["SCRAPER_ALLOW_HOSTS"] = frozenset({shop.host})
    yield shop
    shop.close()


def run_jobs(app, seconds: float = 15) -> None:
    """Work the queue until it is empty: RQ's SimpleWorker with Redis, the thread pool without.

    The worker skips RQ's start-up maintenance round (for each of the 17 queues: a lock, then
    sweeping its registries of entries that expired minutes or hours ago, of dead workers, of jobs
    a dead worker left half-taken), ~250 Redis commands and most of a call's CPU. Nothing in a
    test's own Redis database is ever that old; test_scraping_jobs checks what that round would do
    to an abandoned job (``registry.cleanup``)."""
    if app.config["REDIS_URL"]:

        def work() -> None:
            with app.app_context():
                connection = jobs.rq_connection(app)
                queues = [Queue(name, connection=connection) for name in jobs.ALL_QUEUE_NAMES]
                worker = SimpleWorker(queues, connection=connection)
                worker.last_cleaned_at = rq_now()
                worker.work(burst=True)

        contextvars.Context().run(work)
        return
    runner = app.extensions["piglist_jobs"]
    deadline = time.monotonic() + seconds
    while any(info["status"] in ("queued", "started") for info in runner.jobs.values()):
        assert time.monotonic() < deadline, "jobs did not finish"
        time.sleep(0.05)


def queued_jobs(app) -> int:
    """Jobs waiting in the queue (RQ) or not yet finished (the thread pool)."""
    if app.config["REDIS_URL"]:
        connection = jobs.rq_connection(app)
        return sum(Queue(name, connection=connection).count for name in jobs.ALL_QUEUE_NAMES)
    runner = app.extensions["piglist_jobs"]
    return sum(info["status"] in ("queued", "started") for info in runner.jobs.values())


def self_signed_certificate(folder: Path, name: str) -> tuple[Path, Path]:
    """A certificate and its key for ``name`` (a host name or an IP address), valid for a day and
    signed by itself: its own CA, for a test to trust or not. Made by openssl, which ca-certificates
    brings to every Debian machine."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    kind = "IP" if name.replace(".", "").isdigit() else "DNS"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", f"/CN={name}", "-addext", f"subjectAltName={kind}:{name}"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class Mailbox:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message it accepts.
    ``refuse(n, code)`` makes it answer the next ``n`` messages with ``code`` instead.
    With ``tls`` (a server-side SSL context) it speaks TLS: from the first byte (``smtps://``,
    ``implicit=True``) or after a STARTTLS it insists on (``smtp://``)."""

    def __init__(self, tls: ssl.SSLContext | None = None, implicit: bool = False) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.refusals: list[str] = []
        self.port = free_port()
        if tls is None:
            options = {}
        elif implicit:
            options = {"ssl_context": tls}
        else:
            options = {"tls_context": tls, "require_starttls": True}
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()
        scheme = "smtps" if tls is not None and implicit else "smtp"
        self.url = f"{scheme}://127.0.0.1:{self.port}"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refusals:
            return self.refusals.pop(0)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def refuse(self, times: int = 1, answer: str = "451 4.3.0 Try again later") -> None:
        self.refusals.extend([answer] * times)

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [message for recipients, message in self.messages if address in recipients]

    @staticmethod
    def text(message) -> str:
        return message.get_body(("plain",)).get_content()

    @staticmethod
    def html(message) -> str:
        return message.get_body(("html",)).get_content()

    def close(self) -> None:
        self.controller.stop()


@pytest.fixture
def mailbox(app):
    """A real SMTP server the app sends its mail to (``SMTP_URL``) for this test."""
    box = Mailbox()
    app.config["SMTP_URL"] = box.url
    yield box
    box.close()


def fresh(gift_id: int):
    """The gift as the database has it now."""
    from piglist.models import Gift

    db.session.expire_all()
    return db.session.get(Gift, gift_id)


def fresh_clone(dest: Path) -> Path:
    """What a new operator gets from ``git clone``: the files git tracks (and new ones it would
    track), without the instance folder, caches or virtualenv that a developer's tree has grown."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


class ProcfileSite(procfile_site.ProcfileSite):
    """The real site run the Procfile's way (scripts/procfile_site.py), on a PostgreSQL database and a
    Redis database of its own, dropped and freed when the test process ends."""

    def __init__(self, workdir: Path, env: dict[str, str] | None = None, root: Path = ROOT):
        database = create_database(f"{make_url(BASE_PG_URL).database}_{RUN}_site{uuid.uuid4().hex[:6]}")
        redis_db = claim_redis_database()
        redis.Redis.from_url(redis_db).flushdb()
        super().__init__(workdir, database, redis_db, env=env, root=root)

    def app(self):
        """An app on the site's database and Redis, for a test's own factories and checks."""
        return create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=self.database_url, REDIS_URL=self.redis_url)

    def migrate(self) -> ProcfileSite:
        """The schema built by the same migrations in this test process, for a site whose tests are
        not about the ``release:`` line: then ``start(release=False)``. The release line's own
        interpreter costs ~1.4 CPU-s to start; the run's Procfile site (and test_procfile_site)
        still runs it."""
        app = self.app()
        with app.app_context():
            upgrade()
            db.engine.dispose()
        return self


@pytest.fixture(scope="session")
def site_shop():
    """A local shop for the whole run, its host allowed to the site's scraper."""
    shop = Shop()
    yield shop
    shop.close()


SITE_METRICS_TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture(scope="session")
def procfile_site(tmp_path_factory, site_shop):
    """The site served the Procfile's way from a fresh clone, as a new operator would, with its
    worker, for the whole run (started on first use)."""
    site = ProcfileSite(
        tmp_path_factory.mktemp("procfile-site"),
        env={
            "SCRAPER_ALLOW_HOSTS": site_shop.host,
            # /metrics on, every process's figures in one folder (tests/test_ops_metrics.py).
            "METRICS_TOKEN": SITE_METRICS_TOKEN,
            "METRICS_DIR": str(tmp_path_factory.mktemp("metrics")),
        },
        root=fresh_clone(tmp_path_factory.mktemp("fresh-clone")),
    ).start(worker=True)
    yield site
    site.stop()


# --- the live layer against real servers -----------------------------------------------------------


class RedisServer:
    """A redis-server of a test's own on a free port, so it can be stopped and started again without
    touching the shared one."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                return self
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


class HangingProxy:
    """A TCP relay in front of a Redis server that can be told to hang: it then keeps every connection
    open (and accepts new ones) but passes nothing on, like a server that stopped answering."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.hung = threading.Event()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(200)
        self.port = self.listener.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            if self.hung.is_set():
                continue  # accepted, never answered
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.sockets.append(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if not self.hung.is_set():
                    sink.sendall(data)
        except OSError:
            pass

    def hang(self) -> None:
        self.hung.set()

    def close(self) -> None:
        self.listener.close()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()


@dataclass
class SiteFamily:
    """A family on a ProcfileSite: ids, API tokens and e-mails of the four, and one gift of Tom's."""

    group_id: int
    gift_id: int
    ids: dict[str, int]
    tokens: dict[str, str]
    emails: dict[str, str]


@pytest.fixture(scope="module")
def one_process_site(tmp_path_factory):
    """The Procfile's web line with one gevent process (no worker line): every request and socket
    of a test shares that process, its caches and its event loop."""
    site = ProcfileSite(tmp_path_factory.mktemp("one-process-site"), env={"WEB_CONCURRENCY": "1"})
    yield site.migrate().start(worker=False, release=False)
    site.stop()


def site_family(site: ProcfileSite) -> SiteFamily:
    app = site.app()
    with app.app_context():
        family = factories.make_family()
        gift = factories.make_gift(family.owner, family.group, title="Kite")
        people = {"admin": family.admin, "owner": family.owner, "giver": family.giver, "other": family.other}
        found = SiteFamily(
            family.group.id,
            gift.id,
            {name: user.id for name, user in people.items()},
            {name: factories.token_for(user) for name, user in people.items()},
            {name: user.email for name, user in people.items()},
        )
        db.session.remove()
        db.engine.dispose()
    return found


def live_socket(site: ProcfileSite, group_id: int, token: str | None = None, **query):
    """A WebSocket client on the site's /ws/groups/<gid> (simple-websocket's Client)."""
    from urllib.parse import urlencode

    from simple_websocket import Client

    params = {**({"token": token} if token else {}), **query}
    return Client.connect(f"ws{site.url[4:]}/ws/groups/{group_id}?{urlencode(params)}")


def receive_until(ws, done, timeout: float = 15) -> list[str]:
    """Messages until one for which ``done(message)`` is true (included); fails after ``timeout`` —
    a deadline so a broken test ends, not a measurement."""
    received = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = ws.receive(timeout=max(deadline - time.monotonic(), 0.01))
        if message is None:
            continue
        received.append(message)
        if done(message):
            return received
    raise AssertionError(f"nothing expected arrived; got {received!r}")


def handshake_status(
    site: ProcfileSite, path: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """The status of a WebSocket upgrade request, and whatever the server sent after it."""
    import base64

    with socket.create_connection(("127.0.0.1", site.port), timeout=10) as conn:
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: 127.0.0.1:{site.port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}",
            "Sec-WebSocket-Version: 13",
            *[f"{name}: {value}" for name, value in (headers or {}).items()],
        ]
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = b""
        with contextlib.suppress(TimeoutError, OSError):
            while b"\r\n\r\n" not in answer:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                answer += chunk
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, answer


def site_login(site: ProcfileSite, email: str):
    """A requests session logged in through the site's login page, as a browser would be."""
    import requests

    session = requests.Session()
    page = session.get(f"{site.url}/login", timeout=10).text
    token = CSRF_META.search(page).group(1)
    answer = session.post(
        f"{site.url}/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text
    return session


# --- pictures, made with Pillow for the tests that upload or serve them -------------------------


def picture_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48), mode: str = "RGB", **save) -> bytes:
    from PIL import Image

    colour = (200, 30, 60, 128) if mode == "RGBA" else (200, 30, 60)
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, fmt, **save)
    return buffer.getvalue()


GPS_LATITUDE = (51.0, 30.0, 26.0)


def jpeg_bytes(size: tuple[int, int] = (64, 48), gps: bool = False) -> bytes:
    """A JPEG, with a camera's EXIF when ``gps``: make, a GPS position and a comment."""
    from PIL import Image

    extra = {}
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "PiglistCam"  # Make
        exif[0x8825] = {1: "N", 2: GPS_LATITUDE, 3: "W", 4: (0.0, 7.0, 39.0)}  # GPSInfo
        extra = {"exif": exif.tobytes(), "comment": b"taken at home"}
    return picture_bytes("JPEG", size, **extra)


def animated_gif_bytes(frames: int = 3) -> bytes:
    from PIL import Image

    images = [Image.new("RGB", (32, 32), (60 * n, 200 - 40 * n, 90)) for n in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return buffer.getvalue()


def bomb_png_bytes(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims ``width`` by ``height`` pixels: a decompression bomb."""
    import struct
    import zlib

    data = bytearray(picture_bytes("PNG", (8, 8)))
    # IHDR is the first chunk: length(4) type(4) width(4) height(4) …, its CRC after 13 bytes.
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)
