"""The live layer under load (a script, not a test: ``make bench-live``).

Starts the site the Procfile's way (gunicorn, gevent, two worker processes, PostgreSQL and Redis)
and measures:

1. fan-out: N open sockets (``?format=json``, spread over both processes by the kernel), one
   purchase, and the delay from sending the purchase to each socket's receiving it (p50/p99/max);
   the same with the default Turbo Stream HTML;
2. memory per idle socket: the web processes' resident memory before and after opening them;
3. 1,000 idle long polls held open while ``GET /api/v1/me`` is timed, against its idle figure.

The clients run on the same machine as the server (2 cores, shared). A socket's delivery time is
the kernel's receive stamp of the message (SO_TIMESTAMPNS), so the client's own time reading
hundreds of sockets in turn is not counted; the CPU it takes from the server still is. Environment: TEST_DATABASE_URL / TEST_REDIS_URL as for the tests; SOCKETS (default
"500,1000"), POLLS (1000).
"""

from __future__ import annotations

import asyncio
import os
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import ProcfileSite, site_family


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

    @classmethod
    def connect(cls, site, path: str) -> Listener:
        sock = socket.create_connection(("127.0.0.1", site.port), timeout=30)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        ws = WSConnection(ConnectionType.CLIENT)
        sock.sendall(ws.send(Request(host=f"127.0.0.1:{site.port}", target=path)))
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

    def close(self) -> None:
        self.sock.close()


SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux


def _timespec(value: bytes) -> float:
    seconds, nanoseconds = struct.unpack("qq", value[:16])
    return seconds + nanoseconds / 1e9


class Sockets:
    """``count`` open sockets on the group, read by one thread with a selector."""

    def __init__(self, site, family, count: int, format: str) -> None:
        tokens = [family.tokens["giver"], family.tokens["admin"]]
        paths = [f"/ws/groups/{family.group_id}?token={tokens[n % 2]}&format={format}" for n in range(count)]
        # One at a time, as tabs open; all at once would only measure the backlog.
        self.listeners = [Listener.connect(site, path) for path in paths]
        self.selector = selectors.DefaultSelector()
        for listener in self.listeners:
            self.selector.register(listener.sock, selectors.EVENT_READ, listener)
        self.running = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while self.running:
            for key, _ in self.selector.select(0.1):
                listener = key.data
                listener.readable()
                if listener.closed:
                    self.selector.unregister(listener.sock)

    def arrivals_after(self, started: float, timeout: float = 30) -> list[float]:
        """Each socket's first message stamped after ``started`` (time.time()), waiting for all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            firsts = [next((t for t in each.arrivals if t >= started), None) for each in self.listeners]
            if all(t is not None for t in firsts):
                return firsts
            time.sleep(0.02)
        missing = sum(1 for t in firsts if t is None)
        raise TimeoutError(f"{missing} of {len(self.listeners)} sockets got nothing")

    def close(self) -> None:
        self.running = False
        self.thread.join(5)
        for listener in self.listeners:
            listener.close()


def fan_out(site, family, sockets: Sockets, buy: bool) -> list[float]:
    """Milliseconds from sending one purchase (or undo) to each socket's receiving it."""
    time.sleep(0.5)
    started = time.time()
    method = "POST" if buy else "DELETE"
    answer = requests.request(
        method,
        f"{site.url}/api/v1/gifts/{family.gift_id}/purchase",
        headers={"Authorization": f"Bearer {family.tokens['other']}"},
        timeout=30,
    )
    assert answer.ok, answer.text
    return [(t - started) * 1000 for t in sockets.arrivals_after(started, 35)]


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


async def hold_polls(site, family, count: int, stop: asyncio.Event) -> Counter[str]:
    """``count`` long polls kept waiting (each asks again when its 25 s run out); how many answered
    anything but 200."""
    cursor = requests.get(
        f"{site.url}/api/v1/groups/{family.group_id}/changes",
        headers={"Authorization": f"Bearer {family.tokens['giver']}"},
        timeout=10,
    ).json()["cursor"]
    request = (
        f"GET /api/v1/groups/{family.group_id}/changes?since={cursor}&wait=25 HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{site.port}\r\nAuthorization: Bearer {family.tokens['giver']}\r\n\r\n"
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


def polls_and_me(site, family, count: int) -> None:
    idle = time_me(site, family.tokens["other"])
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    result: dict[str, Counter[str]] = {}

    def run() -> None:
        result["failures"] = loop.run_until_complete(hold_polls(site, family, count, stop))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    time.sleep(30)  # every poll connected and waiting (admitting 1,000 at once takes a while here)
    busy = time_me(site, family.tokens["other"])
    loop.call_soon_threadsafe(stop.set)
    thread.join(60)
    print(
        f"/api/v1/me p50/p99: idle {statistics.median(idle):.1f}/{percentile(idle, 0.99):.1f} ms, "
        f"with {count} long polls held {statistics.median(busy):.1f}/{percentile(busy, 0.99):.1f} ms "
        f"(p99 ratio {percentile(busy, 0.99) / percentile(idle, 0.99):.2f}x); "
        f"long polls answered other than 200: {dict(result.get('failures', {})) or 'none'}"
    )


def main() -> None:
    counts = [int(n) for n in os.environ.get("SOCKETS", "500,1000").split(",")]
    polls = int(os.environ.get("POLLS", "1000"))
    site = ProcfileSite(Path(tempfile.mkdtemp(prefix="bench-live-"))).start(worker=False)
    try:
        family = site_family(site)
        for count in counts:
            before = sum(rss_kib(pid) for pid in web_workers(site))
            sockets = Sockets(site, family, count, "json")
            time.sleep(3)
            after = sum(rss_kib(pid) for pid in web_workers(site))
            for buy, format in ((True, "json"), (False, "json")):
                delays = fan_out(site, family, sockets, buy)
                print(
                    f"{count} sockets ({format}): {len(delays)} received; delivery p50 "
                    f"{statistics.median(delays):.0f} ms, p99 {percentile(delays, 0.99):.0f} ms, "
                    f"max {max(delays):.0f} ms"
                )
            print(f"{count} idle sockets: {(after - before) / count:.1f} KiB each (web processes' RSS)")
            sockets.close()
            time.sleep(2)
        sockets = Sockets(site, family, counts[0], "turbo")
        time.sleep(3)
        delays = fan_out(site, family, sockets, True)
        print(
            f"{counts[0]} sockets (turbo HTML): {len(delays)} received; delivery p50 "
            f"{statistics.median(delays):.0f} ms, p99 {percentile(delays, 0.99):.0f} ms, max {max(delays):.0f} ms"
        )
        fan_out(site, family, sockets, False)
        sockets.close()
        polls_and_me(site, family, polls)
    finally:
        site.stop()


if __name__ == "__main__":
    main()
