"""The website under load: ``make bench-web``.

Seeds two families (8 members x 25 gifts and 30 x 40, a third of the gifts bought; accounts,
groups and categories through the app's services) and starts, each the Procfile's way
(scripts/procfile_site.py; production settings, no scrape worker, the same gunicorn line):

- the site **warm** (its caches as configured) and the site **cold** (``LIST_CACHE_BYTES=0
  CREDENTIAL_CACHE_ENTRIES=0``: every list rendered and every credential read afresh);
- **the floor** (bench/floor.py): the API list written by hand, raw SQL and ``json.dumps``;
- **the ceiling** (bench/ceiling.py): a bare Flask route answering with the very bytes the warm
  site sent for the API list and the all-lists page (compressed if the site compressed them).

``wrk`` with 16 connections then asks each request in turn (a browser's ``Accept-Encoding``).
Prints one table: requests per second, latency percentiles, errors, the web workers' CPU per
request (their utime + stime over the run, /proc, divided by the requests: the steadiest figure
on a shared machine), SQL statements per request (counted in this process under Flask's test
client on the same database, the lists' cache emptied), and the ratios the budgets name. Then a
**many-families** run (bench/many.py): 500 more families of 8 x 25 seeded in bulk SQL, a random
member's all-lists page per request (5 % purchases and undos), connections stepped up until p99
passes 100 ms: the pages per second the box serves at p99 < 100 ms. Then the budgets, met or not.

    python bench/web.py [--seconds 8] [--families 500] [--quick]

``--quick`` (about a minute) smoke-runs everything with one family, 1 s runs and 20 families, for
tests/test_bench_web.py: its figures mean nothing.

PostgreSQL comes from ``BENCH_DATABASE_URL`` (default ``postgresql://root@127.0.0.1:5432/postgres``;
a database of its own is created and dropped). Redis is a ``redis-server`` of its own on a free
port. Other load on the machine skews the figures: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import contextvars
import dataclasses
import json
import logging
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import redis
import requests
from sqlalchemy import event, make_url, select, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import many
from config import ProductionConfig, database_url
from piglist import create_app
from piglist.auth import accounts
from piglist.extensions import db
from piglist.groups import categories, joining, lifecycle
from piglist.models import Gift, Piglist, User, utcnow
from piglist.stores import fx
from scripts.procfile_site import ROOT, ProcfileSite, free_port

CONNECTIONS = 16
WARMUP_SECONDS = 2
PASSWORD = "Bench-Password-1"
SECRET_KEY = f"bench-{uuid.uuid4().hex}"
PAIR_GIFTS = 32  # more than CONNECTIONS: see bench/wrk/pair.lua
BUDGETS = """\
  cold API list >= 50 % of the floor's req/s        {api_ratio}
  cold whole page >= 40 % of the floor's req/s      {page_ratio}
  warm whole page >= 20 % of the ceiling's req/s    {ceiling_ratio}
  many families >= 150 pages/s at p99 < 100 ms      {many}
  warm API list and page p99 < 100 ms               {warm_p99}
  warm /me >= 1,500 req/s                           {me}
  <= 8 SQL queries for any request                  {queries}"""
# As a browser asks: the ceiling then serves the bytes as the site sent them, compressed or not.
ACCEPT_ENCODING = "gzip, deflate, br"


@dataclass
class Family:
    label: str
    group_id: int
    reader_id: int
    other_id: int
    other_gift_id: int
    token: str
    cookie: str
    members: int = 8
    pair_gifts: list[int] = field(default_factory=list)
    warmup_pair_gifts: list[int] = field(default_factory=list)
    spare_gift_id: int = 0


@dataclass
class Row:
    label: str
    site: str
    request: str
    rps: float
    p50: float
    p95: float
    p99: float
    errors: int
    queries: int | None
    cpu_ms: float | None = None
    ratio: str = ""
    derived: bool = False


# --- services of its own ------------------------------------------------------------------------


@contextlib.contextmanager
def own_redis(workdir: Path):
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=(workdir / "redis.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def own_database():
    base = database_url(os.environ.get("BENCH_DATABASE_URL"), "postgresql://root@127.0.0.1:5432/postgres")
    admin = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"piglist_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the data --------------------------------------------------------------------------------------


# The ECB's reference rates as the worker's daily fetch stores them on a production box
# (``FX_RATES_URL`` is set by default): every list page reads them, and a site with none reads
# the database again on every request until the first fetch (piglist.stores.fx.latest).
BENCH_RATES = fx.Rates(date(2026, 12, 4), {"USD": Decimal("1.0543"), "GBP": Decimal("0.8312")})


def seed_rates(app) -> None:
    with app.app_context():
        fx.store(BENCH_RATES)


def seed(app, label: str, members: int, gifts_each: int) -> Family:
    """A family: ``members`` people, three categories, ``gifts_each`` gifts each (one in four without
    a category, half with options), every third one bought by the next member."""
    slug = f"family-{members}x{gifts_each}"
    with app.app_context():
        people = [
            accounts.register(f"m{n}@{slug}.bench.example", PASSWORD, f"Member {n}") for n in range(members)
        ]
        group = lifecycle.create_group(people[0], {"name": f"Family {label}", "currency": "USD"})
        for person in people[1:]:
            joining.join_group(person, group.invite_code)
        category_ids = [
            categories.create_category(group, {"name": f"Category {n}", "spending_limit": "100000"}).id
            for n in range(3)
        ]
        # The gifts in one transaction, not through edits.add_gift: 1,400 gifts one commit at a time
        # take minutes on a busy machine, and no rule is at stake (every price is within the limits).
        lists = {
            p.user_id: p.id for p in db.session.scalars(select(Piglist).where(Piglist.group_id == group.id))
        }
        rows: list[tuple[int, Gift]] = []
        for number, person in enumerate(people):
            for n in range(gifts_each):
                bought = n % 3 == 0
                gift = Gift(
                    piglist_id=lists[person.id],
                    title=f"Gift {n} of {person.display_name}",
                    price=Decimal(f"{n + 1}.{n % 100:02d}"),
                    currency="USD",
                    options={"size": "M", "colour": "green"} if n % 2 else {},
                    category_id=category_ids[n % 4] if n % 4 < 3 else None,
                    url=f"https://shop.example/{slug}/{number}/{n}",
                    image_url=f"https://shop.example/img/{number}-{n}.jpg",
                    description=f"{person.display_name} would love this.",
                    status="purchased" if bought else "available",
                    purchased_by_id=people[(number + 1) % members].id if bought else None,
                    purchased_at=utcnow() if bought else None,
                )
                rows.append((number, gift))
        db.session.add_all(gift for _, gift in rows)
        db.session.commit()
        available = [g.id for number, g in rows if number and g.status == "available"]
        first_of = {}
        for number, gift in rows:
            first_of.setdefault(number, gift.id)
        token = accounts.issue_token(people[0], "bench")[1]
        group_id, reader_id, other_id = group.id, people[0].id, people[2].id
    return Family(
        label=label,
        members=members,
        group_id=group_id,
        reader_id=reader_id,
        other_id=other_id,
        other_gift_id=first_of[2],
        token=token,
        cookie=session_cookie(app, f"m0@{slug}.bench.example"),
        pair_gifts=available[:PAIR_GIFTS],
        # The warm-up's last requests are still being served when the measured run starts.
        warmup_pair_gifts=available[PAIR_GIFTS : 2 * PAIR_GIFTS],
        spare_gift_id=available[2 * PAIR_GIFTS],
    )


def settled_cookie(site: ProcfileSite, family: Family) -> str:
    """The session cookie as a browser holds it after its first page: that page stores the
    session's CSRF token in it, and Flask-Login notes that wrk's requests (no User-Agent) are
    not the login's browser. Both rewrite the cookie once; a browser keeps the new one, while
    wrk would send the first every time and make every request pay for the rewrite."""
    answer = requests.get(
        f"{site.url}/groups/{family.group_id}/piglists",
        headers={"Cookie": family.cookie, "User-Agent": None},  # as wrk sends it
        timeout=30,
        allow_redirects=False,
    )
    assert answer.status_code == 200 and "session" in answer.cookies, answer.status_code
    return f"session={answer.cookies['session']}"


def session_cookie(app, email: str) -> str:
    """Log in through the real page, in this process (same SECRET_KEY as the site): the cookie."""
    client = app.test_client()
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},  # Flask-WTF checks it over https
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return f"session={client.get_cookie('session', domain='localhost').value}"


# --- measuring --------------------------------------------------------------------------------------

FLOOR, COLD, WARM, CEILING = "floor", "cold", "warm", "ceiling"
PAGE, FRAME, WHOLE = "all piglists page (index)", "a list's frame", "whole page: index + every frame"


@dataclass
class Request:
    name: str
    path: str
    headers: dict[str, str]
    site: str = WARM
    pair: list[int] | None = None


def requests_for(family: Family, full: bool) -> list[Request]:
    gid = family.group_id
    plain_bearer = {"Authorization": f"Bearer {family.token}"}
    bearer = {**plain_bearer, "Accept-Encoding": ACCEPT_ENCODING}
    cookie = {"Cookie": family.cookie, "Accept-Encoding": ACCEPT_ENCODING}
    api_list, page = f"/api/v1/groups/{gid}/piglists", f"/groups/{gid}/piglists"
    # The all-lists page is an index; each list comes in a lazy frame of its own (issue 27).
    frame = f"/groups/{gid}/piglists/{family.other_id}/frame"
    cold = [
        Request("API list", api_list, bearer, FLOOR),
        Request("API list", api_list, bearer, COLD),
        Request(PAGE, page, cookie, COLD),
        Request(FRAME, frame, cookie, COLD),
    ]
    warm = [
        Request("API list", api_list, bearer),
        Request(PAGE, page, cookie),
        Request(FRAME, frame, cookie),
    ]
    if not full:
        return [*cold, *warm]
    return [
        *cold,
        Request("API /me", "/api/v1/me", bearer, COLD),
        *warm,
        Request("one member's page", f"/groups/{gid}/piglists/{family.other_id}", cookie),
        Request("gift page", f"/groups/{gid}/gifts/{family.other_gift_id}", cookie),
        Request("API /me", "/api/v1/me", bearer),
        # Uncompressed: bench/wrk/pair.lua reads which gift each answer is about.
        Request("API purchase + undo (per request)", "", plain_bearer, pair=family.pair_gifts),
        Request("API list", api_list, bearer, CEILING),
        Request(PAGE, page, cookie, CEILING),
        Request(FRAME, frame, cookie, CEILING),
    ]


def count_queries(app, family: Family, request: Request) -> int:
    """SQL statements one request runs, in this process on the same database (the second of two
    runs, so first-use work isn't counted; with the lists' cache emptied, so a list's count is
    that of rendering it afresh). Each request runs in an empty context, as on a real
    server: otherwise Flask would reuse one app context, and its database session, for both."""
    statements = 0

    def count(*_args) -> None:
        nonlocal statements
        statements += 1

    def call(client, method: str, path: str):
        return contextvars.Context().run(
            client.open, path, method=method, headers=request.headers, base_url="https://localhost"
        )

    client = app.test_client()
    name, _, value = family.cookie.partition("=")
    client.set_cookie(name, value, domain="localhost")  # the test client drops a Cookie header
    with app.app_context():
        engine = db.engine
    for _attempt in range(2):
        # The lists' cache emptied: the count is the list rendered afresh, the most it costs.
        app.extensions["piglist_listcache"].clear()
        statements = 0
        event.listen(engine, "before_cursor_execute", count)
        try:
            if request.pair is not None:
                path = f"/api/v1/gifts/{family.spare_gift_id}/purchase"
                for method in ("POST", "DELETE"):
                    answer = call(client, method, path)
                    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
            else:
                answer = call(client, "GET", request.path)
                assert answer.status_code == 200, (request.path, answer.status_code)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    return statements // 2 if request.pair is not None else statements


def reset_pair_gifts(app, request: Request) -> None:
    """A run stops mid-pair: whatever it left bought is available again before the next run."""
    with app.app_context():
        db.session.execute(
            update(Gift)
            .where(Gift.id.in_(request.pair))
            .values(status="available", purchased_by_id=None, purchased_at=None)
        )
        db.session.commit()


class WorkerCPU:
    """The CPU seconds (user + system) a site's gunicorn workers spend while it is used."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, site: ProcfileSite) -> None:
        self.site = site
        self.seconds: float | None = None

    def pids(self) -> list[int]:
        master = self.site.processes["web"].pid
        found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
        return [int(pid) for pid in found]

    def total(self, pids: list[int]) -> float:
        used = 0
        for pid in pids:
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                used += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        return used / self.TICK

    @contextlib.contextmanager
    def __call__(self):
        pids = self.pids()
        before = self.total(pids)
        try:
            yield self
        finally:
            self.seconds = self.total(pids) - before

    def ms_per(self, requests: int) -> float | None:
        return None if not requests or self.seconds is None else 1000 * self.seconds / requests


def run_wrk(app, url: str, request: Request, seconds: int, cpu: WorkerCPU | None = None) -> dict:
    if request.pair is not None:
        reset_pair_gifts(app, request)
    script = "bench/wrk/pair.lua" if request.pair is not None else "bench/wrk/report.lua"
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "-s", script]
    for name, value in request.headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url + request.path)
    if request.pair is not None:
        command += ["--", ",".join(map(str, request.pair))]
    with cpu() if cpu else contextlib.nullcontext():
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(
            f"wrk failed on {request.site} {request.name}: {done.stderr[-1000:] or done.stdout[-1000:]}"
        )
    output = done.stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    return json.loads(line.removeprefix("BENCH "))


@dataclass
class Bench:
    app: Any
    sites: dict[str, ProcfileSite]
    seconds: int
    warmup: int


def answered(site: ProcfileSite, request: Request) -> None:
    """The request answers 200 before it is measured. The run before may still be draining (a
    busy machine: its last requests wait for the database), so a 503 is asked again a few times."""
    for _attempt in range(5):
        answer = requests.get(
            site.url + request.path, headers=request.headers, timeout=30, allow_redirects=False
        )
        if answer.status_code != 503:
            break
        time.sleep(3)
    assert answer.status_code == 200, (request.name, answer.status_code, answer.text[:300])


def measure(bench: Bench, family: Family, request: Request) -> Row:
    site = bench.sites[request.site]
    if request.pair is None:
        answered(site, request)
    queries = count_queries(bench.app, family, request) if request.site in (COLD, WARM) else None
    warmup = request if request.pair is None else dataclasses.replace(request, pair=family.warmup_pair_gifts)
    if bench.warmup:
        run_wrk(bench.app, site.url, warmup, bench.warmup)
    cpu = WorkerCPU(site)
    figures = run_wrk(bench.app, site.url, request, bench.seconds, cpu)
    return Row(
        family.label,
        request.site,
        request.name,
        figures["requests"] / figures["seconds"],
        figures["p50"],
        figures["p95"],
        figures["p99"],
        figures["errors"],
        queries,
        cpu.ms_per(figures["requests"]),
    )


def as_sent(site: ProcfileSite, request: Request) -> dict:
    """The answer's bytes as they went over the wire (compressed if they were), and the headers
    that say how to read them."""
    answer = requests.get(site.url + request.path, headers=request.headers, timeout=30, stream=True)
    assert answer.status_code == 200, (request.path, answer.status_code)
    body = answer.raw.read(decode_content=False)
    kept = {
        k: v for k, v in answer.headers.items() if k.lower() in ("content-type", "content-encoding", "vary")
    }
    return {"headers": kept, "body": base64.b64encode(body).decode()}


def start_ceiling(workdir: Path, site: ProcfileSite, family: Family, env: dict[str, str]) -> ProcfileSite:
    answers = {r.path: as_sent(site, r) for r in requests_for(family, full=True) if r.site == CEILING}
    (workdir / "ceiling.json").write_text(json.dumps(answers))
    procfile = workdir / "Procfile.ceiling"
    procfile.write_text("web: " + site.lines["web"].replace("wsgi:app", "bench.ceiling:app") + "\n")
    ceiling_env = {**env, "CEILING_FILE": str(workdir / "ceiling.json")}
    return ProcfileSite(
        workdir / "ceiling", site.database_url, site.redis_url, env=ceiling_env, procfile=procfile
    )


def check_floor_answers_like_the_app(site: ProcfileSite, floor: ProcfileSite, family: Family) -> None:
    """The floor is only a floor if it answers the same: compared before anyone looks at a gift."""
    path = f"/api/v1/groups/{family.group_id}/piglists"
    headers = {"Authorization": f"Bearer {family.token}"}
    app_answer = requests.get(site.url + path, headers=headers, timeout=30).json()
    floor_answer = requests.get(floor.url + path, headers=headers, timeout=30).json()
    if app_answer != floor_answer:
        raise SystemExit(
            f"The floor's answer differs from the app's for {family.label} at "
            f"{first_difference(app_answer, floor_answer)}: fix bench/floor.py."
        )


def first_difference(app_answer, floor_answer, where: str = "") -> str:
    """Where two JSON documents first differ, and how: ``[0].gifts[3].list_id: 12 != None``."""
    if isinstance(app_answer, dict) and isinstance(floor_answer, dict):
        for key in sorted(app_answer.keys() | floor_answer.keys()):
            if app_answer.get(key, "(missing)") != floor_answer.get(key, "(missing)"):
                return first_difference(
                    app_answer.get(key, "(missing)"), floor_answer.get(key, "(missing)"), f"{where}.{key}"
                )
    if (
        isinstance(app_answer, list)
        and isinstance(floor_answer, list)
        and len(app_answer) == len(floor_answer)
    ):
        for n, (a, b) in enumerate(zip(app_answer, floor_answer, strict=True)):
            if a != b:
                return first_difference(a, b, f"{where}[{n}]")
    return f"{where or 'the answer'}: app {str(app_answer)[:200]} != floor {str(floor_answer)[:200]}"


def many_families(bench: Bench, db_url: str, workdir: Path, count: int, steps: list[int]) -> list[many.Step]:
    """Seeds ``count`` families of 8 x 25 in bulk and steps the warm site's load up (bench/many.py)."""
    started = time.monotonic()
    plain = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    families = many.seed(plain, count, _password_hash(bench.app))
    requests_file = workdir / "many.tsv"
    many.write_requests(bench.app, families, requests_file)
    print(f"seeded {count} families in {time.monotonic() - started:.0f} s", file=sys.stderr)
    site = bench.sites[WARM]
    first = requests_file.read_text().splitlines()[0].split("\t")
    answer = requests.get(
        site.url + first[0],
        headers={"Cookie": first[1], "User-Agent": None},
        timeout=30,
        allow_redirects=False,
    )
    assert answer.status_code == 200 and "session" not in answer.cookies, (answer.status_code, answer.cookies)
    return many.step_up(site.url, requests_file, bench.seconds, ROOT, WorkerCPU(site), steps)


def _password_hash(app) -> str:
    with app.app_context():
        user = User(email="x@bench.example", display_name="x")
        user.set_password(PASSWORD)
        return user.password_hash


# --- the report -------------------------------------------------------------------------------------


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {platform.system()}"


def table(rows: list[Row]) -> str:
    lines = [
        "| family | site | request | req/s | p50 ms | p95 ms | p99 ms | errors | CPU ms/req | SQL/req | ratio |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        # No answer within the run: wrk has no latencies to report, which is not 0 ms.
        latency = " | ".join(f"{v:.1f}" if r.rps and not r.derived else "–" for v in (r.p50, r.p95, r.p99))
        cpu = "" if r.cpu_ms is None else f"{r.cpu_ms:.2f}"
        lines.append(
            f"| {r.label} | {r.site} | {r.request} | {r.rps:,.1f} | {latency} | {r.errors} | {cpu} "
            f"| {'' if r.queries is None else r.queries} | {r.ratio} |"
        )
    return "\n".join(lines)


def add_whole_pages(rows: list[Row], families: list[Family]) -> list[Row]:
    """What a browser's whole all-lists page costs (the index and every member's frame, as it
    loads them all scrolling down), derived from the two measured rows: a rate of
    1 / (1/index + members/frame), so it is comparable with the floor's API list, which answers
    every list at once."""
    found = {(r.label, r.site, r.request): r for r in rows}
    out = list(rows)
    for family in families:
        for site in (COLD, WARM, CEILING):
            index, frame = found.get((family.label, site, PAGE)), found.get((family.label, site, FRAME))
            if index is None or frame is None or not index.rps or not frame.rps:
                continue
            n = family.members
            queries = None if index.queries is None else index.queries + n * (frame.queries or 0)
            cpu = None if index.cpu_ms is None or frame.cpu_ms is None else index.cpu_ms + n * frame.cpu_ms
            whole = Row(family.label, site, WHOLE, 1 / (1 / index.rps + n / frame.rps), 0, 0, 0,
                        index.errors + frame.errors, queries, cpu, derived=True)  # fmt: skip
            out.insert(out.index(frame) + 1, whole)
    return out


def add_ratios(rows: list[Row]) -> None:
    """Cold against the floor, warm against the ceiling, for the same family and request."""
    found = {(r.label, r.site, r.request): r for r in rows}
    for r in rows:
        against = {COLD: FLOOR, WARM: CEILING}.get(r.site)
        # The floor answers the API list only: the whole page is held to it (the budget's terms).
        request = "API list" if against == FLOOR and r.request == WHOLE else r.request
        base = found.get((r.label, against, request))
        if base is not None and base.rps:
            r.ratio = f"{r.rps / base.rps:.0%} of {against}"


def verdict(ok: bool, figure: str) -> str:
    return f"{'met' if ok else 'NOT MET'} ({figure})"


def budgets(rows: list[Row], label: str, many_best: many.Step | None) -> str:
    mine = {(r.site, r.request): r for r in rows if r.label == label}

    def rate(site: str, request: str) -> float:
        found = mine.get((site, request))  # a row is missing when nothing was answered in time
        return found.rps if found else 0.0

    def share(site: str, against: str, request: str, against_request: str | None = None) -> float:
        base = rate(against, against_request or request)
        return rate(site, request) / base if base else 0.0

    api = share(COLD, FLOOR, "API list")
    # The floor answers every list at once: the whole page (index and every frame) is held to it.
    page = share(COLD, FLOOR, WHOLE, "API list")
    ceiling = share(WARM, CEILING, WHOLE)
    warm_p99 = max(mine[(WARM, r)].p99 if (WARM, r) in mine else 0.0 for r in ("API list", PAGE, FRAME))
    me = rate(WARM, "API /me")
    most = max(r.queries for r in rows if r.queries is not None and not r.derived)
    pages = many_best.pages_rps if many_best else 0.0
    return BUDGETS.format(
        api_ratio=verdict(api >= 0.5, f"{api:.0%}"),
        page_ratio=verdict(page >= 0.4, f"{page:.0%}"),
        ceiling_ratio=verdict(ceiling >= 0.2, f"{ceiling:.0%}"),
        many=verdict(pages >= 150, f"{pages:,.0f} pages/s"),
        warm_p99=verdict(warm_p99 < 100, f"{warm_p99:.0f} ms"),
        me=verdict(me >= 1500, f"{me:,.0f} req/s"),
        queries=verdict(most <= 8, f"at most {most}"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=int, default=8, help="measured seconds per request (after a warm-up)"
    )
    parser.add_argument("--families", type=int, default=500, help="families in the many-families run")
    parser.add_argument("--quick", action="store_true", help="a smoke run: every part, figures meaningless")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk; `make bench-web` does it).")
    seconds, warmup = (1, 0) if args.quick else (args.seconds, WARMUP_SECONDS)
    family_count = 20 if args.quick else args.families
    steps = [2, 8] if args.quick else [1, 2, 4, 8, 12, 16, 24, 32, 48, 64]

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="piglist-bench-web-"))
    load_before = os.getloadavg()
    with contextlib.ExitStack() as stack:
        redis_url = stack.enter_context(own_redis(workdir))
        db_url = stack.enter_context(own_database())
        # Mails are never sent under load: logging them is what the bench means (MAIL_BACKEND=log).
        env = {"PIGLIST_CONFIG": "production", "SECRET_KEY": SECRET_KEY, "MAIL_BACKEND": "log"}
        cold_env = {**env, "LIST_CACHE_BYTES": "0", "CREDENTIAL_CACHE_ENTRIES": "0"}
        site = ProcfileSite(workdir / "site", db_url, redis_url, env=env)
        site.run("release")
        cold = ProcfileSite(workdir / "cold", db_url, redis_url, env=cold_env)
        floor_procfile = workdir / "Procfile.floor"
        floor_procfile.write_text("web: " + site.lines["web"].replace("wsgi:app", "bench.floor:app") + "\n")
        floor = ProcfileSite(workdir / "floor", db_url, redis_url, env=env, procfile=floor_procfile)

        app = create_app(
            ProductionConfig,
            SQLALCHEMY_DATABASE_URI=db_url,
            REDIS_URL=redis_url,
            SECRET_KEY=SECRET_KEY,
            PUBLIC_URL=site.url,
            MAIL_BACKEND="log",
            PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",  # seeding accounts; nobody logs in under load
        )
        logging.getLogger().setLevel(logging.WARNING)  # this process's request log lines are noise here
        print(f"seeding … ({workdir})", file=sys.stderr)
        seeding = time.monotonic()
        seed_rates(app)
        families = [(seed(app, "8 × 25", 8, 25), True)]
        if not args.quick:
            families.append((seed(app, "30 × 40", 30, 40), False))
        print(f"seeded in {time.monotonic() - seeding:.0f} s", file=sys.stderr)
        for each in (site, cold, floor):
            stack.callback(each.stop)
            each.start(worker=False, release=False)
        for family, _ in families:
            check_floor_answers_like_the_app(site, floor, family)
            family.cookie = settled_cookie(site, family)
        ceiling = start_ceiling(workdir, site, families[0][0], env)
        stack.callback(ceiling.stop)
        ceiling.start(worker=False, release=False)

        bench = Bench(app, {WARM: site, COLD: cold, FLOOR: floor, CEILING: ceiling}, seconds, warmup)
        rows: list[Row] = []
        for family, full in families:
            for request in requests_for(family, full):
                print(f"  {family.label}: {request.site} {request.name} …", file=sys.stderr)
                rows.append(measure(bench, family, request))
        rows = add_whole_pages(rows, [f for f, _ in families])
        add_ratios(rows)
        print(f"  {family_count} families: seeding …", file=sys.stderr)
        steps_run = many_families(bench, db_url, workdir, family_count, steps)
        many_best = many.best(steps_run)

    print(
        f"\nMachine: {machine()}; load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}."
    )
    print(f"wrk: 1 thread, {CONNECTIONS} connections, {seconds} s per request after {warmup} s warm-up.\n")
    print(table(rows))
    print(
        f"\nMany families: {family_count} families of {many.MEMBERS} x {many.GIFTS} (warm site), a random "
        f"member's all-lists page per request, {many.PURCHASE_SHARE:.0%} purchases or undos; {seconds} s a step:\n"
    )
    print(many.steps_table(steps_run))
    held = (
        f"{many_best.pages_rps:,.0f} pages/s at p99 {many_best.p99:.0f} ms ({many_best.connections} connections)"
        if many_best
        else "no step held p99 < 100 ms"
    )
    print(f"\nHighest rate at p99 < 100 ms: {held}.")
    print(f"\nBudgets, {families[0][0].label} family:\n{budgets(rows, families[0][0].label, many_best)}")
    print(f"\n({time.monotonic() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
