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

from pathlib import Path

import pytest
from flask_migrate import upgrade

from config import TestingConfig
from piglist import create_app
from piglist.extensions import db
from piglist.models import User

from . import factories
from .support import speedups
from .support.apps import make_app
from .support.clients import ApiClient, AuthActions
from .support.databases import PG_URL, create_process_database, empty_all_tables, process_redis, redis_url
from .support.mailbox import Mailbox
from .support.shop import Shop
from .support.sites import SITE_METRICS_TOKEN, ProcfileSite, fresh_clone

speedups.install()


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
    create_process_database()
    process_redis().flushdb()
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=PG_URL, REDIS_URL=redis_url())
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return PG_URL


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


@pytest.fixture
def app(request, tmp_path_factory):
    """The app, with an app context pushed for the test's own database work (factories, checks)."""
    app = make_app(request, tmp_path_factory)
    with app.app_context():
        yield app
        db.session.remove()
        if app.config["TEST_BACKEND"] == "postgresql":
            empty_all_tables()
            process_redis().flushdb()
        else:
            db.engine.dispose()


@pytest.fixture
def elsewhere(app, request, tmp_path_factory):
    """The same site's other web process: its own app, caches and sessions."""
    return make_app(request, tmp_path_factory)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(client):
    return AuthActions(client)


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


@pytest.fixture
def people(family):
    """The family's four, for the Secret Santa tests (pages and API) that draw among them."""
    return [family.admin, family.owner, family.giver, family.other]


@pytest.fixture
def world(app, family):
    """Tom's list with a gift in a limited category, and other lists around it (the surprise
    tests of pages and of group gifts read the owner's pages around it)."""
    category = factories.make_category(family.group, name="Books", spending_limit="200")
    gift = factories.make_gift(
        family.owner,
        family.group,
        title="Kite",
        price="40",
        category_id=category.id,
        options={"colour": "red"},
    )
    factories.make_gift(family.owner, family.group, title="Socks", price="5")
    factories.make_gift(family.giver, family.group, title="Drill", price="80", category_id=category.id)
    return gift, category


@pytest.fixture
def euro_family(app):
    """The same family, keeping euros (SPEC 10.6: amounts as they write them, exchange rates)."""
    family = factories.make_family()
    family.group.currency = "EUR"
    db.session.commit()
    return family


@pytest.fixture
def shop(app):
    """A local shop the app's fetcher is allowed to reach."""
    shop = Shop()
    app.config["SCRAPER_ALLOW_HOSTS"] = frozenset({shop.host})
    yield shop
    shop.close()


@pytest.fixture
def mailbox(app):
    """A real SMTP server the app sends its mail to (``SMTP_URL``) for this test."""
    box = Mailbox()
    app.config["SMTP_URL"] = box.url
    yield box
    box.close()


@pytest.fixture(scope="session")
def site_shop():
    """A local shop for the whole run, its host allowed to the site's scraper."""
    shop = Shop()
    yield shop
    shop.close()


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


@pytest.fixture(scope="module")
def one_process_site(tmp_path_factory):
    """The Procfile's web line with one gevent process (no worker line): every request and socket
    of a test shares that process, its caches and its event loop."""
    site = ProcfileSite(tmp_path_factory.mktemp("one-process-site"), env={"WEB_CONCURRENCY": "1"})
    yield site.migrate().start(worker=False, release=False)
    site.stop()
