"""The real site run the Procfile's way for the tests that need real processes: a fresh clone as
an operator gets it, and the live layer's real servers (a Redis that can be stopped, a proxy that
hangs), sockets and logins against them, and a person adding a gift by its link there over HTTP
(the scrape done by the site's own worker process), as the Procfile and metrics tests both do,
and a family member calling its API. One copy of each keeps every site test driving it one way.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import redis
from flask_migrate import upgrade
from sqlalchemy import make_url

from config import TestingConfig
from piglist import create_app
from piglist.extensions import db
from scripts import procfile_site
from scripts.procfile_site import ROOT, free_port

from .. import factories
from .clients import CSRF_META, PASSWORD
from .databases import BASE_PG_URL, RUN, claim_redis_database, create_database, release_redis_database


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


# /metrics on the run's Procfile site (tests/test_ops_metrics.py reads it).
SITE_METRICS_TOKEN = "metrics-token-for-tests-0123456789"


class ProcfileSite(procfile_site.ProcfileSite):
    """The real site run the Procfile's way (scripts/procfile_site.py), on a PostgreSQL database and a
    Redis database of its own: the Redis database flushed and given back when the site stops, the
    PostgreSQL database dropped when the test process ends."""

    def __init__(self, workdir: Path, env: dict[str, str] | None = None, root: Path = ROOT):
        database = create_database(f"{make_url(BASE_PG_URL).database}_{RUN}_site{uuid.uuid4().hex[:6]}")
        redis_db = claim_redis_database()
        redis.Redis.from_url(redis_db).flushdb()
        # The worker would fetch the ECB's rates: tests serve their own feed (tests/test_fx_rates.py).
        env = {"FX_RATES_URL": "", **(env or {})}
        super().__init__(workdir, database, redis_db, env=env, root=root)
        self.stopped = False

    def start(self, *args, **kwargs) -> ProcfileSite:
        if self.stopped:
            raise RuntimeError("a stopped test site has given back its Redis database: make another")
        return super().start(*args, **kwargs)

    def stop(self) -> None:
        """Stopped for good: its Redis database is flushed and given back at once (the PostgreSQL
        database is dropped when the process ends)."""
        super().stop()
        if not self.stopped:
            self.stopped = True
            release_redis_database(self.redis_url)

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


def another_web_process(site: ProcfileSite, workdir: Path) -> procfile_site.ProcfileSite:
    """The web line of ``site`` started once more, on the same database, Redis and secret key but a
    port of its own, with one gevent process: beside a ``site`` of ``WEB_CONCURRENCY=1``, a test
    knows which process serves each socket and request. Not started; stopped by its caller (the
    database and Redis stay ``site``'s)."""
    env = {"WEB_CONCURRENCY": "1", "SECRET_KEY": site.env["SECRET_KEY"], "FX_RATES_URL": ""}
    return procfile_site.ProcfileSite(workdir, site.database_url, site.redis_url, env=env, root=site.root)


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


# A shop's product page that the site's scraper fills a gift in from.
KITE_PAGE = """<!doctype html><html lang="en"><head><title>Kite – Toy Shop</title>
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Product", "name": "Rainbow Kite",
 "offers": {"@type": "Offer", "price": "19.99", "priceCurrency": "USD"}}
</script></head><body><h1>Rainbow Kite</h1></body></html>"""


def add_by_link(site, shop, email: str, path: str, page: str = KITE_PAGE) -> tuple[dict, dict]:
    """A new person registers, starts a group and adds a gift by its link; their auth headers and
    the gift as the API answered."""
    import requests

    api = f"{site.url}/api/v1"
    registered = requests.post(
        f"{api}/auth/register",
        json={"email": email, "password": "Correct-Horse-9", "display_name": "Pat"},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    headers = {"Authorization": f"Bearer {registered.json()['token']}"}
    group = requests.post(f"{api}/groups", json={"name": "Procfile Family"}, headers=headers, timeout=10)
    assert group.status_code == 201, group.text
    link = shop.page(path, (200, "text/html", page))
    added = requests.post(
        f"{api}/groups/{group.json()['id']}/gifts", json={"url": link}, headers=headers, timeout=10
    )
    assert added.status_code == 201, added.text
    return headers, added.json()


def when_scraped(site, headers: dict, gift_id: int) -> dict:
    """The gift once it is no longer pending. Only the worker process runs jobs; a deadline, not a
    timing claim."""
    import requests

    deadline = time.monotonic() + 120  # generous: the machine may be busy
    while True:
        gift = requests.get(f"{site.url}/api/v1/gifts/{gift_id}", headers=headers, timeout=10).json()
        if gift["scrape_status"] != "pending" or time.monotonic() > deadline:
            return gift
        time.sleep(0.2)


def api(site, family, who, method, path, **kwargs):
    """``who`` of a SiteFamily calls the site's API over HTTP with their token."""
    import requests

    headers = {"Authorization": f"Bearer {family.tokens[who]}"}
    return requests.request(method, f"{site.url}/api/v1{path}", headers=headers, timeout=30, **kwargs)


def about(gift_id: int):
    """A test for ``receive_until``: a socket message (JSON event or Turbo stream) about the gift."""
    return lambda message: f'"gift_id":{gift_id}' in message or f'target="gift_{gift_id}"' in message
