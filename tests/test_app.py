"""The app shell: configuration, health, security headers, error pages, logs."""

import json
import os
import re

import pytest

from config import DevelopmentConfig, ProductionConfig, TestingConfig, allow_hosts, database_url, proxy_hops
from piglist import create_app

from . import factories
from .support.apps import both_backends
from .support.databases import PG_URL, redis_url


def test_postgres_scheme_is_rewritten():
    assert database_url("postgres://u:p@h/db", "x") == "postgresql+psycopg://u:p@h/db"
    assert database_url(None, "sqlite:///x") == "sqlite:///x"


def test_scraper_allow_hosts_is_a_set_of_exact_host_ports():
    assert allow_hosts(" LocalHost:5001, 127.0.0.1:8000 ,") == frozenset({"localhost:5001", "127.0.0.1:8000"})
    assert allow_hosts("") == allow_hosts(None) == frozenset()


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app(ProductionConfig)


def test_development_generates_a_secret_key_once(tmp_path, monkeypatch):
    import config

    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)
    monkeypatch.setattr(DevelopmentConfig, "SECRET_KEY", None)
    first = create_app(DevelopmentConfig, REDIS_URL=None).config["SECRET_KEY"]
    second = create_app(DevelopmentConfig, REDIS_URL=None).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@both_backends
def test_health_reports_database_and_redis(app, client):
    response = client.get("/health")
    assert response.status_code == 200
    expected_redis = "ok" if app.config["REDIS_URL"] else "absent"
    assert response.get_json() == {"database": "ok", "redis": expected_redis}


def test_a_web_process_keeps_enough_postgresql_connections_open(tmp_path):
    """A gevent worker holds a connection per request in flight: its pool keeps that many open
    (DATABASE_POOL_SIZE) instead of opening and closing one per request past SQLAlchemy's 5."""
    from piglist.extensions import db

    default = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=PG_URL, REDIS_URL=None)
    sized = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=PG_URL,
        REDIS_URL=None,
        DATABASE_POOL_SIZE=3,
        DATABASE_MAX_OVERFLOW=1,
    )
    embedded = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db", REDIS_URL=None)
    with default.app_context():
        assert (db.engine.pool.size(), db.engine.pool._max_overflow) == (10, 20)
        assert db.engine.pool._timeout == 5  # DATABASE_POOL_TIMEOUT: a request never waits longer for one
    with sized.app_context():
        assert (db.engine.pool.size(), db.engine.pool._max_overflow) == (3, 1)
    with embedded.app_context():
        assert db.session.execute(db.text("select 1")).scalar() == 1  # SQLite takes no pool sizes


def test_health_is_503_when_the_database_is_down():
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://root@127.0.0.1:1/none",
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 1}},
        REDIS_URL=redis_url(),
    )
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json() == {"database": "down", "redis": "ok"}


def test_health_says_redis_is_down_and_still_answers(app):
    down = create_app(TestingConfig, REDIS_URL="redis://127.0.0.1:1/0")
    response = down.test_client().get("/health")
    assert response.status_code == 200
    assert response.get_json()["redis"] == "down"


def test_pages_keep_working_when_redis_is_down(app):
    down = create_app(TestingConfig, REDIS_URL="redis://127.0.0.1:1/0")
    client = down.test_client()
    assert client.get("/login").status_code == 200
    assert client.post("/login", data={}).status_code == 400  # CSRF, not a 500 from the rate limiter


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers


def test_answers_that_are_not_pages_may_run_and_load_nothing(app, api, client, family):
    """JSON (answers and errors) and other files get a policy that allows nothing at all, so even
    one opened in a tab can't be made to run anything; pages keep theirs."""
    nothing = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    for response in (
        api(family.giver).get("/me"),
        client.get("/api/v1/me"),  # a JSON error
        client.get("/api/v1/nothing-here"),
        client.get("/static/css/app.css"),
    ):
        assert response.headers["Content-Security-Policy"] == nothing, response.request.path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    page = client.get("/login")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_pages_have_no_inline_script(client):
    """One script file, and at most the import map (data, with the page's nonce) once the static
    files are built (piglist.web.assets)."""
    page = client.get("/register").get_data(as_text=True)
    nonce = re.search(r'<meta name="csp-nonce" content="([^"]+)"', page).group(1)
    for chunk in page.split("<script")[1:]:
        opening = chunk.split(">")[0].strip()
        if opening.startswith('type="importmap"'):
            assert opening == f'type="importmap" nonce="{nonce}"', opening
            assert json.loads(chunk.split(">", 1)[1].split("</script>")[0])["imports"]
        else:
            assert re.fullmatch(r'type="module" src="/static/js/app(-[0-9a-f]{32})?\.js"', opening), opening


def test_production_sends_hsts_and_secure_cookies_without_redirecting():
    app = create_app(
        ProductionConfig,
        SECRET_KEY="x" * 32,
        PUBLIC_URL="https://piglist.example",
        MAIL_BACKEND="log",
        SQLALCHEMY_DATABASE_URI="sqlite://",
        REDIS_URL=None,
        HOUSEKEEPING=False,
    )
    client = app.test_client()
    response = client.get("/login")
    assert response.status_code == 200  # plain HTTP on loopback is served; the router redirects
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
    assert "Secure" in cookie


def test_production_trusts_one_proxy_hop():
    app = create_app(
        ProductionConfig,
        SECRET_KEY="x" * 32,
        PUBLIC_URL="https://piglist.example",
        MAIL_BACKEND="log",
        SQLALCHEMY_DATABASE_URI="sqlite://",
        REDIS_URL=None,
        HOUSEKEEPING=False,
    )

    @app.get("/_scheme")
    def scheme():
        from flask import request

        return {"scheme": request.scheme, "remote": request.remote_addr}

    response = app.test_client().get(
        "/_scheme", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    )
    assert response.get_json() == {"scheme": "https", "remote": "203.0.113.9"}


def remote_address_route(app):
    @app.get("/_remote")
    def remote():
        from flask import request

        return {"remote": request.remote_addr}


def test_without_trusted_proxies_x_forwarded_for_is_ignored(app, client):
    assert app.config["TRUSTED_PROXIES"] == 0
    remote_address_route(app)
    response = client.get("/_remote", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.get_json() == {"remote": "127.0.0.1"}


def test_a_spoofed_x_forwarded_for_does_not_dodge_the_login_limit(client, user):
    for n in range(5):
        response = client.post(
            "/api/v1/auth/token",
            json={"email": user.email, "password": "Wrong-Pass-1"},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
        )
        assert response.status_code == 401
    response = client.post(
        "/api/v1/auth/token",
        json={"email": user.email, "password": "Wrong-Pass-1"},
        headers={"X-Forwarded-For": "198.51.100.99"},
    )
    assert response.status_code == 429


def test_production_without_a_router_can_trust_no_proxy():
    app = create_app(
        ProductionConfig,
        SECRET_KEY="x" * 32,
        PUBLIC_URL="https://piglist.example",
        MAIL_BACKEND="log",
        SQLALCHEMY_DATABASE_URI="sqlite://",
        REDIS_URL=None,
        HOUSEKEEPING=False,
        TRUSTED_PROXIES=0,
    )
    remote_address_route(app)
    response = app.test_client().get("/_remote", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.get_json() == {"remote": "127.0.0.1"}


def test_trusted_proxies_takes_that_many_hops_from_the_right():
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI="sqlite://",
        REDIS_URL=None,
        HOUSEKEEPING=False,
        TRUSTED_PROXIES=2,
    )
    remote_address_route(app)
    response = app.test_client().get("/_remote", headers={"X-Forwarded-For": "6.6.6.6, 1.1.1.1, 2.2.2.2"})
    assert response.get_json() == {"remote": "1.1.1.1"}


def test_trusted_proxies_defaults_to_one_in_production_and_zero_elsewhere(monkeypatch):
    assert proxy_hops(None, 1) == 1
    assert proxy_hops(" 3 ", 1) == 3
    assert proxy_hops("0", 1) == 0
    if "TRUSTED_PROXIES" not in os.environ:
        assert ProductionConfig.TRUSTED_PROXIES == 1
        assert DevelopmentConfig.TRUSTED_PROXIES == TestingConfig.TRUSTED_PROXIES == 0


@pytest.mark.parametrize("value", ["-1", "one", "1.5", "２"])
def test_a_bad_trusted_proxies_value_stops_the_app_with_a_clear_message(value):
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES must be a whole number"):
        proxy_hops(value, 0)


def test_friendly_html_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "couldn&#39;t find that page" in response.get_data(as_text=True)


def test_friendly_html_500_without_traceback(app, client):
    @app.get("/_boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/_boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong on our side" in body
    assert "secret internals" not in body


def test_every_response_carries_a_request_id(client):
    first = client.get("/health").headers["X-Request-ID"]
    second = client.get("/health").headers["X-Request-ID"]
    assert first != second
    assert (
        client.get("/health", headers={"X-Request-ID": "router-abc-123"}).headers["X-Request-ID"]
        == "router-abc-123"
    )
    assert (
        client.get("/health", headers={"X-Request-ID": "bad id <script>"}).headers["X-Request-ID"]
        != "bad id <script>"
    )


def test_plain_log_lines_say_each_requests_method_path_status_and_duration(capsys):
    app = create_app(TestingConfig, LOG_JSON=False, REDIS_URL=None, SQLALCHEMY_DATABASE_URI="sqlite://")
    app.test_client().get("/health?probe=1", headers={"X-Request-ID": "req-12345678"})
    lines = [line for line in capsys.readouterr().err.splitlines() if "[req-12345678]" in line]
    assert len(lines) == 1
    assert re.search(r" INFO \[req-12345678\] piglist: GET /health 200 [0-9.]+ ms$", lines[0])


def test_logs_are_json_lines_with_the_request_id(capsys):
    app = create_app(TestingConfig, LOG_JSON=True, REDIS_URL=None, SQLALCHEMY_DATABASE_URI="sqlite://")
    app.test_client().get("/health", headers={"X-Request-ID": "req-12345678"})
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    record = json.loads(lines[-1])
    assert record["request_id"] == "req-12345678"
    assert record["message"] == "request"
    assert record["status"] == 200


def test_a_request_that_finds_every_database_connection_busy_is_told_to_retry(family):
    token = factories.token_for(family.giver)
    busy = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=PG_URL,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.1},
    )
    with busy.app_context():
        from piglist.extensions import db

        with db.engine.connect():  # the only connection, held
            response = busy.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        db.engine.dispose()
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"
