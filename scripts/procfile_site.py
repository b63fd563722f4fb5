"""The real site run the Procfile's way, for the tests (tests/conftest.py) and the web benchmark
(bench/web.py). It only starts processes; the app never imports it, and the caller brings the
PostgreSQL and Redis databases (and drops them)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ProcfileSite:
    """The ``release:`` line (migrations), then the ``web:`` line (gunicorn, gevent workers) and, when
    asked, the ``worker:`` line as a separate process, each run by a shell as a platform would, on the
    given PostgreSQL and Redis databases.

    ``env`` adds to or overrides the environment the lines see (``PIGLIST_CONFIG``, ``SECRET_KEY``,
    ``SCRAPER_ALLOW_HOSTS``, ``WEB_CONCURRENCY`` …). Development settings by default: the testing
    config reads ``TEST_*`` variables, not the ``DATABASE_URL``/``REDIS_URL`` the Procfile's lines
    are given, and production marks cookies Secure, which a browser won't send back over plain http.
    Each process's output goes to a log file under ``workdir``; a failure to start quotes its tail.
    ``root`` is the tree the lines run in: this checkout, or a fresh clone of it; ``procfile``
    another Procfile to read the lines from (the benchmark's floor).
    """

    START_SECONDS = 60  # a deadline for starting up, not a measurement

    def __init__(
        self,
        workdir: Path,
        database_url: str,
        redis_url: str,
        env: dict[str, str] | None = None,
        root: Path = ROOT,
        procfile: Path | None = None,
    ):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.root = Path(root)
        self.lines = self.read_procfile(procfile or self.root / "Procfile")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.redis_url = redis_url
        self.env = {
            **os.environ,
            # `python`, `gunicorn` and `flask` in the lines are this environment's.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PIGLIST_CONFIG": "development",
            "SECRET_KEY": f"procfile-site-{uuid.uuid4().hex}",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "PORT": str(self.port),
            "PUBLIC_URL": self.url,
            "LOG_JSON": "0",
            **(env or {}),
        }
        self.processes: dict[str, subprocess.Popen] = {}

    @staticmethod
    def read_procfile(path: Path) -> dict[str, str]:
        lines = {}
        for raw in path.read_text().splitlines():
            name, sep, command = raw.partition(":")
            if sep and raw.strip() and not raw.lstrip().startswith("#"):
                lines[name.strip()] = command.strip()
        return lines

    def command(self, name: str) -> str:
        line = self.lines[name]
        # The one liberty taken: a local server listens on loopback only, never on every interface.
        return line.replace("0.0.0.0:", "127.0.0.1:")

    def log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def run(self, name: str) -> None:
        """Run a one-off line (``release``) to its end; fails with its output when it does."""
        with self.log(name).open("ab") as out:
            result = subprocess.run(
                ["sh", "-c", self.command(name)],
                cwd=self.root,
                env=self.env,
                stdout=out,
                stderr=out,
                timeout=120,
            )
        if result.returncode != 0:
            raise RuntimeError(f"Procfile {name!r} failed ({result.returncode}):\n{self.tail(name)}")

    def spawn(self, name: str) -> subprocess.Popen:
        out = self.log(name).open("ab")
        # `exec` so the shell becomes the process; a session of its own so stop() reaches its children.
        process = subprocess.Popen(
            ["sh", "-c", "exec " + self.command(name)],
            cwd=self.root,
            env=self.env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
        out.close()
        self.processes[name] = process
        return process

    def cli(self, *args: str) -> str:
        """Run ``flask --app wsgi ARGS`` with the site's environment; its output, or a failure quoting it."""
        result = subprocess.run(
            ["flask", "--app", "wsgi", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result.stdout

    def tail(self, name: str, lines: int = 40) -> str:
        path = self.log(name)
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def start(self, worker: bool = True, release: bool = True) -> ProcfileSite:
        if release:
            self.run("release")
        if worker:
            self.spawn("worker")
        web = self.spawn("web")
        deadline = time.monotonic() + self.START_SECONDS
        while not self.healthy():
            if web.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"The web process did not come up at {self.url}:\n{self.tail('web')}")
            time.sleep(0.2)
        return self

    def healthy(self) -> bool:
        try:
            with urlopen(f"{self.url}/health", timeout=2) as response:
                return response.status == 200
        except (URLError, OSError):
            return False

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()

    def __repr__(self) -> str:
        return f"ProcfileSite({self.url}, logs in {self.workdir})"
