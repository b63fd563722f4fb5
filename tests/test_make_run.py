"""`make run` as a developer meets it: the address to open and the demo logins on every start
(a restart too), one line per request saying which it was, and with no mail settings the reset
link in the log, so the whole flow can be tried without a mail server."""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from urllib.error import URLError

from scripts.procfile_site import ROOT, free_port

from .support.clients import CSRF_META

DEADLINE_SECONDS = 90  # for starting up and for the job to run, not a measurement


def wait_for(check, what: str, log) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not check():
        assert time.monotonic() < deadline, f"{what}; the log:\n{log.read_text()[-3000:]}"
        time.sleep(0.3)


def make_run(env: dict[str, str], log) -> subprocess.Popen:
    # -o: take the installed environment as it is (the tests run in it) rather than pip-install again.
    with log.open("wb") as out:
        return subprocess.Popen(
            ["make", "-s", "-o", ".venv/.installed", "run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen) -> None:
    """Ends make run and what it started; one that ended by itself has nothing to stop, and the
    test's own failure (its log) is what should be read."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def test_make_run_says_where_to_go_logs_requests_and_shows_the_reset_and_sign_up_links(tmp_path):
    port = free_port()
    log = tmp_path / "run.log"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SMTP_URL", "MAIL_FROM", "PUBLIC_URL", "REDIS_URL", "DATABASE_URL", "PIGLIST_CONFIG"}
    }
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/run.sqlite3", PORT=str(port), LOG_JSON="0")
    process = make_run(env, log)
    base = f"http://127.0.0.1:{port}"
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def up() -> bool:
        assert process.poll() is None, f"make run ended:\n{log.read_text()[-3000:]}"
        try:
            with browser.open(f"{base}/health", timeout=2):
                return True
        except (URLError, OSError):
            return False

    def greets(text: str) -> bool:
        return (
            f"open {base}/ in your browser" in text and "  mum@demo.piglist.example  Piglist-Demo-1" in text
        )

    try:
        wait_for(up, "the site did not come up", log)
        assert greets(log.read_text())
        with browser.open(f"{base}/password/forgot", timeout=10) as page:
            token = CSRF_META.search(page.read().decode()).group(1)
        form = urllib.parse.urlencode({"email": "mum@demo.piglist.example", "csrf_token": token}).encode()
        with browser.open(f"{base}/password/forgot", data=form, timeout=10) as answer:
            assert "If an account uses that address" in answer.read().decode()
        link = re.compile(rf"http://127\.0\.0\.1:{port}/password/reset/[A-Za-z0-9._-]+")
        wait_for(lambda: link.search(log.read_text()), "no reset link in the log", log)
        with browser.open(link.search(log.read_text()).group(0), timeout=10) as reset_page:
            assert "Choose a new password" in reset_page.read().decode()
        request_line = re.compile(r"piglist: POST /password/forgot [0-9]{3} [0-9.]+ ms$", re.M)
        assert request_line.search(log.read_text()), log.read_text()[-3000:]
        # Signing up without a mail server: the link is on a line of its own, and works.
        with browser.open(f"{base}/register", timeout=10) as page:
            token = CSRF_META.search(page.read().decode()).group(1)
        form = urllib.parse.urlencode(
            {"display_name": "Nan", "email": "nan@demo.piglist.example", "csrf_token": token}
        ).encode()
        with browser.open(f"{base}/register", data=form, timeout=10) as answer:
            assert "Check your inbox" in answer.read().decode()
        signup = re.compile(
            rf"No mail server: to finish signing up as nan@demo\.piglist\.example, "
            rf"open (http://127\.0\.0\.1:{port}/register/finish/[A-Za-z0-9._-]+)"
        )
        wait_for(lambda: signup.search(log.read_text()), "no sign-up link in the log", log)
        finish = signup.search(log.read_text()).group(1)
        with browser.open(finish, timeout=10) as page:
            token = CSRF_META.search(page.read().decode()).group(1)
        form = urllib.parse.urlencode(
            {"display_name": "Nan", "password": "Piglist-Nan-1", "csrf_token": token}
        ).encode()
        with browser.open(finish, data=form, timeout=10) as answer:
            assert "Welcome to Piglist, Nan!" in answer.read().decode()
    finally:
        stop(process)

    # Started again on the same database: the same greeting, the demo family not made twice.
    process = make_run(env, log)
    try:
        wait_for(up, "the site did not come up again", log)
        assert greets(log.read_text()) and "Found the demo family" in log.read_text()
    finally:
        stop(process)
