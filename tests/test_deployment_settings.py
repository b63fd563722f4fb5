"""Settings production can't run without (SPEC §10.8, issue 22 finding 7): a missing or bad one
stops the release line, the web line and the worker with one ``Error: …`` line, no traceback and
no "Worker failed to boot", by running the Procfile's real commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import ConfigError, ProductionConfig, TestingConfig
from piglist import create_app
from piglist.stores import mail
from scripts.procfile_site import ROOT, ProcfileSite, free_port

GOOD = {
    "PIGLIST_CONFIG": "production",
    "SECRET_KEY": "k" * 64,
    "PUBLIC_URL": "https://piglist.example",
    "SMTP_URL": "smtp://mail.example:587",
    "MAIL_FROM": "Piglist <piglist@piglist.example>",
    "DATABASE_URL": "sqlite:///:memory:",
}


def run_line(name: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    line = ProcfileSite.read_procfile(ROOT / "Procfile")[name].replace("0.0.0.0:", "127.0.0.1:")
    clean = {
        k: v for k, v in os.environ.items() if k not in {*GOOD, "MAIL_BACKEND", "REDIS_URL", "SMTP_CA_FILE"}
    }
    clean["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{clean.get('PATH', '')}"
    return subprocess.run(
        ["sh", "-c", line],
        cwd=ROOT,
        env={**clean, "PORT": str(free_port()), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("line", "change", "said"),
    [
        ("release", {"SECRET_KEY": None}, "SECRET_KEY must be set in production"),
        ("web", {"SECRET_KEY": None}, "SECRET_KEY must be set in production"),
        ("worker", {"SECRET_KEY": None}, "SECRET_KEY must be set in production"),
        ("release", {"PUBLIC_URL": None}, "PUBLIC_URL must be set in production"),
        ("web", {"SMTP_URL": None}, "SMTP_URL must be set in production"),
        ("worker", {"PUBLIC_URL": "javascript:alert(1)"}, "PUBLIC_URL must be the site's address"),
        ("web", {"DATABASE_POOL_SIZE": "lots"}, "DATABASE_POOL_SIZE must be a whole number"),
    ],
)
def test_a_missing_or_bad_setting_stops_each_procfile_line_with_one_line(line, change, said):
    env = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    result = run_line(line, env)
    assert result.returncode != 0
    said_lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(said_lines) == 1, said_lines
    assert said_lines[0].startswith("Error: ") and said in said_lines[0]
    assert "Traceback" not in result.stderr and "Worker failed to boot" not in result.stderr


def production(**overrides):
    settings = {k: v for k, v in GOOD.items() if k not in ("PIGLIST_CONFIG", "DATABASE_URL")}
    settings.update(SQLALCHEMY_DATABASE_URI="sqlite://", REDIS_URL=None, HOUSEKEEPING=False)
    return create_app(ProductionConfig, **{**settings, **overrides})


@pytest.mark.parametrize(
    ("overrides", "said"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be long and random"),
        ({"PUBLIC_URL": None}, "PUBLIC_URL must be set in production"),
        ({"PUBLIC_URL": "piglist.example"}, "PUBLIC_URL must be the site's address"),
        ({"PUBLIC_URL": "ftp://piglist.example"}, "PUBLIC_URL must be the site's address"),
        ({"PUBLIC_URL": "https://piglist.example/?next=x"}, "PUBLIC_URL must be the site's address"),
        ({"PUBLIC_URL": "https://u:p@piglist.example"}, "PUBLIC_URL must be the site's address"),
        ({"PUBLIC_URL": "https://piglist.example:port"}, "PUBLIC_URL must be the site's address"),
        ({"PUBLIC_URL": "https://piglist.example/a b"}, "PUBLIC_URL must be the site's address"),
        ({"SMTP_URL": None}, "SMTP_URL must be set in production"),
        ({"SMTP_URL": "http://mail.example"}, "SMTP_URL must look like"),
        ({"MAIL_FROM": None}, "MAIL_FROM must be set"),
        ({"MAIL_BACKEND": "pigeon"}, "MAIL_BACKEND must be one of smtp, log"),
        ({"MAIL_BACKEND": "log"}, "MAIL_BACKEND=log writes mails to the log"),
    ],
)
def test_production_refuses_each_setting_that_cannot_work(overrides, said):
    with pytest.raises(ConfigError, match=said.replace("?", r"\?")):
        production(**overrides)


def test_production_may_log_mails_when_mail_backend_says_so_on_purpose():
    app = production(SMTP_URL=None, MAIL_BACKEND="log")
    with app.app_context():
        assert mail.site_url() == "https://piglist.example/"


def test_mail_backend_smtp_without_a_server_is_refused_anywhere():
    with pytest.raises(ConfigError, match="MAIL_BACKEND=smtp needs SMTP_URL"):
        create_app(TestingConfig, MAIL_BACKEND="smtp", REDIS_URL=None, SQLALCHEMY_DATABASE_URI="sqlite://")


def test_a_good_production_configuration_starts():
    app = production()
    assert app.config["PUBLIC_URL"] == "https://piglist.example"
