"""The live layer under load (a script, not a test: ``make bench-live``).

Starts the site the Procfile's way (gunicorn, gevent, two worker processes, production settings,
``WEB_CONNECTIONS`` sized for the sockets: 80 % of SOCKETS a process by default, so the 5,000 fit
however the kernel spreads them) on a PostgreSQL database and a ``redis-server`` of its own, seeds
SOCKETS / 8 families of 8 x 25 in bulk SQL (bench/many.py), and measures:

1. SOCKETS sockets in groups of 8 (each family's 8 members, ``?format=json``): the web processes'
   memory per idle socket; ``GET /api/v1/me`` beside them against its idle figure; then one
   purchase (and its undo) in each of 20 families, and the delay from sending it to each of the 7
   sockets told (the list's owner is told nothing: the surprise rule);
2. SOCKETS sockets on one group: the delay of a purchase (and its undo) to all of them, EVENTS
   (3) times, each event's and all of them together;
3. more sockets until the processes hold LIVE_CONNECTIONS and refuse: the time from connecting
   to each of the first REFUSALS (20) 503 answers;
4. POLLS (1,000) long polls held while ``/api/v1/me`` is timed, against its idle figure.

The clients run on the same machine as the server (2 cores, shared). A socket's delivery time is
the kernel's receive stamp of the message (SO_TIMESTAMPNS), so the client's own time reading
thousands of sockets in turn is not counted; the CPU it takes from the server still is. The
open-files limit is raised to what the sockets need (the server inherits it). Environment:
SOCKETS (5000), POLLS (1000), REFUSALS (20), EVENTS (3), WEB_CONNECTIONS, BENCH_DATABASE_URL (as bench/web.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import resource
import selectors
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Ping, Request, TextMessage
from wsproto.extensions import PerMessageDeflate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import make_url
from werkzeug.security import generate_password_hash

from bench import many
from bench.web import SECRET_KEY, WorkerCPU, own_database, own_redis
from piglist.live.socketcount import SocketCount
from scripts.procfile_site import ProcfileSite


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def web_workers(site: ProcfileSite) -> list[int]:
    master = site.processes["web"].pid
    found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


class Listener:
    """One WebSocket client end (wsproto on a plain socket). The kernel stamps each packet as it
    arrives (SO_TIMESTAMPNS), and a message's delay is read from that stamp: the clients share
    the machine with the server, and their own time reading 1,000 sockets one after another is
    no part of the server's delivery."""

    def __init__(self, sock: socket.socket, ws: WSConnection) -> None:
        self.sock, self.ws = sock, ws
        self.arrivals: list[float] = []  # kernel time (time.time()'s clock) of each text message
        self._first: float | None = None  # the stamp of the first packet of a message in progress
        self.closed = False
        self.close_reason = "connection dropped"

    @classmethod
    def connect(cls, site, path: str) -> Listener:
        sock = socket.create_connection(("127.0.0.1", site.port), timeout=30)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        ws = WSConnection(ConnectionType.CLIENT)
        # Offered as every browser offers it (the server declines it: piglist/live/routes.py).
        offer = [PerMessageDeflate()]
        sock.sendall(ws.send(Request(host=f"127.0.0.1:{site.port}", target=path, extensions=offer)))
        while True:
            ws.receive_data(sock.recv(65536) or None)
            for event in ws.events():
                if isinstance(event, AcceptConnection):
                    sock.setblocking(False)
                    return cls(sock, ws)
                raise RuntimeError(f"socket refused: {event!r}")

    def readable(self) -> None:
        try:
            data, ancillary, _, _ = self.sock.recvmsg(65536, 256)
        except BlockingIOError:
            return
        except OSError:
            data, ancillary = b"", []
        if not data:
            self.closed = True
            return
        stamp = next(
            (
                _timespec(value)
                for level, kind, value in ancillary
                if (level, kind) == (socket.SOL_SOCKET, SO_TIMESTAMPNS)
            ),
            time.time(),
        )
        self.ws.receive_data(data)
        for event in self.ws.events():
            if isinstance(event, TextMessage):
                if self._first is None:
                    self._first = stamp
                if event.message_finished:
                    self.arrivals.append(self._first)
                    self._first = None
            elif isinstance(event, Ping):
                self.sock.sendall(self.ws.send(event.response()))
            elif isinstance(event, CloseConnection):
                self.closed = True
                self.close_reason = f"{event.code} {event.reason}"

    def close(self) -> None:
        self.sock.close()


SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux


def _timespec(value: bytes) -> float:
    seconds, nanoseconds = struct.unpack("qq", value[:16])
    return seconds + nanoseconds / 1e9


class Sockets:
    """Open sockets, one per path, read by one thread with a selector."""

    def __init__(self, site, paths: list[str]) -> None:
        # The reader runs while the sockets open: the server pings every socket every 25 s and
        # closes one whose pong is late ("1008 Ping/Pong timeout"), so a socket opened minutes
        # before the last one must be answering all along, as a browser tab does.
        self.selector = selectors.DefaultSelector()
        self.running = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        self.retried = 0
        self.failures: Counter[str] = Counter()
        self.paths = paths
        self.close_reasons: Counter[str] = Counter()
        # One at a time, as tabs open; all at once would only measure the backlog.
        self.listeners: list[Listener] = []
        for path in paths:
            listener = self._open(site, path)
            self.listeners.append(listener)
            self.selector.register(listener.sock, selectors.EVENT_READ, listener)

    def _open(self, site, path: str) -> Listener:
        """A socket, asked again after a pause when refused (503), as the page's live script does:
        on a busy machine a slow Redis answer opens the breaker for a few seconds. Counted."""
        for attempt in range(6):
            try:
                return Listener.connect(site, path)
            except RuntimeError:
                if attempt == 5:
                    raise
                self.retried += 1
                time.sleep(1 + attempt)
        raise AssertionError("unreachable")

    def reopen_closed(self, site) -> int:
        """Every socket the server closed opened again, as the page's live script does (it
        reconnects with backoff and catches up): how many. On a busy machine a slow Redis answer
        makes the hub give up its subscription, and every socket of the process closes."""
        reopened = 0
        for n, listener in enumerate(self.listeners):
            if listener.closed:
                self.close_reasons[listener.close_reason] += 1
                fresh = self._open(site, self.paths[n])
                self.listeners[n] = fresh
                self.selector.register(fresh.sock, selectors.EVENT_READ, fresh)
                listener.close()
                reopened += 1
        return reopened

    def _read(self) -> None:
        while self.running:
            for key, _ in self.selector.select(0.1):
                listener = key.data
                try:
                    listener.readable()
                except Exception as exc:  # one socket's trouble must not stop the reading of all
                    self.failures[type(exc).__name__] += 1
                    listener.closed = True
                if listener.closed:
                    self.selector.unregister(listener.sock)

    def arrivals_after(
        self, started: float, listeners: list[Listener] | None = None, timeout: float = 30
    ) -> list[float]:
        """Each socket's first message stamped after ``started`` (time.time()), waiting for all."""
        listeners = self.listeners if listeners is None else listeners
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            firsts = [next((t for t in each.arrivals if t >= started), None) for each in listeners]
            if all(t is not None for t in firsts):
                return firsts
            time.sleep(0.01)
        missing = sum(1 for t in firsts if t is None)
        raise TimeoutError(f"{missing} of {len(listeners)} sockets got nothing")

    def close(self) -> None:
        self.running = False
        self.thread.join(5)
        for listener in self.listeners:
            listener.close()


def fan_out(site, gift_id: int, token: str, sockets: Sockets, buy: bool, listeners=None) -> list[float]:
    """Milliseconds from sending one purchase (or undo) to each socket's receiving it."""
    time.sleep(0.3)
    started = time.time()
    answer = requests.request(
        "POST" if buy else "DELETE",
        f"{site.url}/api/v1/gifts/{gift_id}/purchase",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.ok, answer.text
    return [(t - started) * 1000 for t in sockets.arrivals_after(started, listeners, 35)]


def time_me(site, token: str, count: int = 200) -> list[float]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    times = []
    for _ in range(count):
        started = time.perf_counter()
        assert session.get(f"{site.url}/api/v1/me", timeout=30).ok
        times.append((time.perf_counter() - started) * 1000)
        time.sleep(0.01)
    return times


async def hold_polls(site, group_id: int, token: str, count: int, stop: asyncio.Event) -> Counter[str]:
    """``count`` long polls kept waiting (each asks again when its 25 s run out); how many answered
    anything but 200."""
    cursor = requests.get(
        f"{site.url}/api/v1/groups/{group_id}/changes",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()["cursor"]
    request = (
        f"GET /api/v1/groups/{group_id}/changes?since={cursor}&wait=25 HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{site.port}\r\nAuthorization: Bearer {token}\r\n\r\n"
    ).encode()
    failures: Counter[str] = Counter()

    async def one() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", site.port)
        try:
            while not stop.is_set():
                writer.write(request)
                await writer.drain()
                status = await reader.readline()
                if b" 200 " not in status:
                    failures[status.decode(errors="replace").strip() or "closed"] += 1
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            if not stop.is_set():
                failures[type(exc).__name__] += 1
        finally:
            writer.close()

    tasks = [asyncio.create_task(one()) for _ in range(count)]
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return failures


def polls_and_me(site, group_id: int, poll_token: str, me_token: str, count: int) -> None:
    idle = time_me(site, me_token)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    result: dict[str, Counter[str]] = {}

    def run() -> None:
        result["failures"] = loop.run_until_complete(hold_polls(site, group_id, poll_token, count, stop))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    time.sleep(30)  # every poll connected and waiting (admitting 1,000 at once takes a while here)
    busy = time_me(site, me_token)
    loop.call_soon_threadsafe(stop.set)
    thread.join(60)
    print(
        f"/api/v1/me p50/p99: idle {statistics.median(idle):.1f}/{percentile(idle, 0.99):.1f} ms, "
        f"with {count} long polls held {statistics.median(busy):.1f}/{percentile(busy, 0.99):.1f} ms "
        f"(p99 ratio {percentile(busy, 0.99) / percentile(idle, 0.99):.2f}x); "
        f"long polls answered other than 200: {dict(result.get('failures', {})) or 'none'}"
    )


def sockets_released(redis_url: str, deadline: float = 120) -> tuple[float, int]:
    """Seconds until the web processes count no open socket (piglist.live.socketcount, published
    each second by their hubs), and how many were still counted if the deadline came first."""
    import redis

    counter = SocketCount(redis.Redis.from_url(redis_url, decode_responses=True))
    started = time.monotonic()
    while (left := counter.total()) and time.monotonic() - started < deadline:
        time.sleep(0.5)
    time.sleep(1.5)  # a count published just before the last socket's handler ended
    return time.monotonic() - started, left


def try_socket(site, path: str) -> tuple[Listener | None, float]:
    """A socket opened, or refused (503): which, and the milliseconds from connecting to the answer."""
    started = time.perf_counter()
    try:
        listener = Listener.connect(site, path)
    except RuntimeError:
        return None, (time.perf_counter() - started) * 1000
    return listener, (time.perf_counter() - started) * 1000


def summary(delays: list[float]) -> str:
    return (
        f"{len(delays)} received; delivery p50 {statistics.median(delays):.0f} ms, "
        f"p99 {percentile(delays, 0.99):.0f} ms, max {max(delays):.0f} ms"
    )


def me_figures(times: list[float]) -> tuple[float, float]:
    return statistics.median(times), percentile(times, 0.99)


def raise_open_files(wanted: int) -> None:
    """Every socket is a file here and in the server (which inherits the limit): soft up to hard."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard == resource.RLIM_INFINITY else min(hard, max(soft, wanted))
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < wanted:
        raise SystemExit(f"{wanted} open files are needed; the hard limit is {hard} (ulimit -Hn).")


def main() -> None:
    total = int(os.environ.get("SOCKETS", "5000"))
    polls = int(os.environ.get("POLLS", "1000"))
    refusals = int(os.environ.get("REFUSALS", "20"))
    events = int(os.environ.get("EVENTS", "3"))  # purchase-and-undo pairs to the one group of them all
    if events < 1:
        sys.exit("EVENTS must be 1 or more.")
    # Two processes of WEB_CONNECTIONS each; sockets and polls may take 80 % of it (LIVE_CONNECTIONS):
    # room for the 5,000 sockets however unevenly the kernel hands them to the two processes.
    web_connections = int(os.environ.get("WEB_CONNECTIONS", str(max(1000, total * 4 // 5))))
    raise_open_files(2 * (int(web_connections * 1.6) + 2000))
    load_before = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="bench-live-"))
    with contextlib.ExitStack() as stack:
        redis_url = stack.enter_context(own_redis(workdir))
        db_url = stack.enter_context(own_database())
        env = {
            "PIGLIST_CONFIG": "production",
            "SECRET_KEY": SECRET_KEY,
            "MAIL_BACKEND": "log",
            "WEB_CONNECTIONS": str(web_connections),
        }
        site = ProcfileSite(workdir / "site", db_url, redis_url, env=env)
        site.run("release")
        plain = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
        # Nobody logs in here (sockets and the API use tokens): any valid hash will do.
        password_hash = generate_password_hash("Bench-Password-1", "pbkdf2:sha256:1000")
        groups = max(1, total // many.MEMBERS)
        families = many.seed(plain, groups, password_hash)
        stack.callback(site.stop)
        site.start(worker=False, release=False)
        print(
            f"Machine: {os.cpu_count()} cores; load average before {load_before[0]:.2f}. "
            f"WEB_CONNECTIONS={web_connections} x 2 processes (LIVE_CONNECTIONS 80 %: "
            f"{int(web_connections * 0.8)} each)."
        )

        def token(f: int, m: int) -> str:
            return families.token(families.user_ids[f][m])

        me_token = token(0, 2)
        idle = time_me(site, me_token)

        # 1. Groups of 8: each member of each family one socket; a purchase in a few of them.
        paths = [
            f"/ws/groups/{families.group_ids[f]}?token={token(f, m)}&format=json"
            for f in range(groups)
            for m in range(many.MEMBERS)
        ]
        opening = time.monotonic()
        before = sum(rss_kib(pid) for pid in web_workers(site))
        sockets = Sockets(site, paths)
        print(
            f"{len(paths)} sockets in groups of 8 opened in {time.monotonic() - opening:.0f} s "
            f"({sockets.retried} refusals asked again)"
        )
        time.sleep(3)
        after = sum(rss_kib(pid) for pid in web_workers(site))
        busy = time_me(site, me_token)
        (idle50, idle99), (busy50, busy99) = me_figures(idle), me_figures(busy)
        print(
            f"/api/v1/me p50/p99: idle {idle50:.1f}/{idle99:.1f} ms, beside {len(paths)} sockets "
            f"{busy50:.1f}/{busy99:.1f} ms (p99 {busy99 / idle99:.2f}x idle)"
        )
        print(f"memory per idle socket: {(after - before) / len(paths):.1f} KiB (web processes' RSS)")
        closed = sockets.reopen_closed(site)
        print(
            f"before the purchases: {closed} sockets closed by the server and opened again "
            f"({dict(sockets.close_reasons) or 'none'}); client errors {dict(sockets.failures) or 'none'}"
        )
        delays: list[float] = []
        sampled = random.sample(range(groups), min(groups, 20))
        for f in sampled:
            # Member 0 buys a gift of member 1's list; member 1's socket is told nothing (the surprise).
            told = [sockets.listeners[f * many.MEMBERS + m] for m in range(many.MEMBERS) if m != 1]
            gift = families.gift(f, 1, 1)
            delays += fan_out(site, gift, token(f, 0), sockets, True, told)
            fan_out(site, gift, token(f, 0), sockets, False, told)
        print(f"groups of 8, one purchase in each of {len(sampled)} (7 sockets told each): {summary(delays)}")
        sockets.close()
        time.sleep(3)

        # 2. One group of 5,000: every socket on family 0, as everyone but member 1.
        watchers = [m for m in range(many.MEMBERS) if m != 1]
        group = families.group_ids[0]
        paths = [
            f"/ws/groups/{group}?token={token(0, watchers[n % len(watchers)])}&format=json"
            for n in range(total)
        ]
        sockets = Sockets(site, paths)
        time.sleep(3)
        print(f"one group: {sockets.reopen_closed(site)} sockets closed by the server and opened again")
        opened = sum(rss_kib(pid) for pid in web_workers(site))
        cpu = WorkerCPU(site)
        pooled: list[float] = []
        for buy in (True, False) * events:
            with cpu():  # the web processes' CPU from the request until the last socket has it
                delays = fan_out(site, families.gift(0, 1, 1), token(0, 0), sockets, buy)
            pooled += delays
            print(
                f"one group of {total} sockets, {'purchase' if buy else 'undo'}: {summary(delays)}; "
                f"web processes' CPU {cpu.ms_per(1):.0f} ms ({cpu.ms_per(total) * 1000:.0f} µs a socket)"
            )
        # One event's p99 swings 190-370 ms between events on a quiet machine: the budget is read
        # from every delivery of every event.
        print(f"one group of {total} sockets, all {2 * events} events together: {summary(pooled)}")
        # A socket that has sent a message may keep state for the next (a compressor, were one taken).
        told = sum(rss_kib(pid) for pid in web_workers(site))
        print(
            f"memory the {2 * events} events added per socket: {(told - opened) / total:.1f} KiB (web processes' RSS)"
        )

        # 3. Past LIVE_CONNECTIONS: sockets opened until the processes refuse; the time to each 503.
        refused: list[float] = []
        extra: list[Listener] = []
        while len(refused) < refusals and len(extra) < 2 * web_connections:
            listener, ms = try_socket(site, paths[0])
            if listener is None:
                refused.append(ms)
            else:
                extra.append(listener)
        print(
            f"past the limit ({total + len(extra)} sockets held): {len(refused)} refused with 503, "
            f"p50 {statistics.median(refused):.1f} ms, max {max(refused):.1f} ms from connecting to the answer"
            if refused
            else f"no refusal after {len(extra)} more sockets"
        )
        for listener in extra:
            listener.close()
        sockets.close()
        # The polls need the slots the sockets held: wait until the processes have let them go (an
        # earlier run started the polls 2 s after closing 6,175 sockets, and 571 were refused).
        waited, left = sockets_released(redis_url)
        print(f"the server let go of the closed sockets in {waited:.1f} s ({left} still counted)")

        if polls:
            polls_and_me(site, group, token(0, 2), me_token, polls)


if __name__ == "__main__":
    main()
