"""The website under load: ``make bench-web``.

Seeds two families (8 members x 25 gifts and 30 x 40, a third of the gifts bought; accounts,
groups and categories through the app's services), starts the site the Procfile's way (scripts/procfile_site.py; production
settings, no scrape worker) beside the hand-written floor (bench/floor.py, the same gunicorn
line), and runs ``wrk`` with 16 connections against each request in turn. Prints one table:
requests per second, latency percentiles, errors, SQL queries per request (counted once per
request in this process, under Flask's test client on the same database), and for the list
requests their ratio to the floor's requests per second; then the budgets (README) met or not.

    python bench/web.py [--seconds 8]

PostgreSQL comes from ``BENCH_DATABASE_URL`` (default ``postgresql://root@127.0.0.1:5432/postgres``;
a database of its own is created and dropped). Redis is a ``redis-server`` of its own on a free
port. Other load on the machine skews the figures: the load average is printed with them.
"""

from __future__ import annotations

import argparse
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
from decimal import Decimal
from pathlib import Path

import psycopg
import redis
import requests
from sqlalchemy import event, make_url, select, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import ProductionConfig, database_url
from piglist import create_app
from piglist.auth import accounts
from piglist.extensions import db
from piglist.groups import categories, joining, lifecycle
from piglist.models import Gift, Piglist, utcnow
from scripts.procfile_site import ROOT, ProcfileSite, free_port

CONNECTIONS = 16
WARMUP_SECONDS = 2
PASSWORD = "Bench-Password-1"
SECRET_KEY = f"bench-{uuid.uuid4().hex}"
PAIR_GIFTS = 32  # more than CONNECTIONS: see bench/wrk/pair.lua
BUDGETS = """\
  API list >= 50 % of the floor's req/s     {api_ratio}
  HTML page >= 40 % of the floor's req/s    {page_ratio}
  API list p99 < 100 ms                     {api_p99}
  HTML page p99 < 100 ms                    {page_p99}
  /me >= 1,500 req/s                        {me}
  <= 8 SQL queries for any request          {queries}"""


@dataclass
class Family:
    label: str
    group_id: int
    reader_id: int
    other_id: int
    other_gift_id: int
    token: str
    cookie: str
    pair_gifts: list[int] = field(default_factory=list)
    warmup_pair_gifts: list[int] = field(default_factory=list)
    spare_gift_id: int = 0


@dataclass
class Row:
    label: str
    request: str
    rps: float
    p50: float
    p95: float
    p99: float
    errors: int
    queries: int | None
    ratio: float | None = None


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


@dataclass
class Request:
    name: str
    path: str
    headers: dict[str, str]
    floor: bool = False
    pair: list[int] | None = None


def requests_for(family: Family, full: bool) -> list[Request]:
    gid = family.group_id
    bearer = {"Authorization": f"Bearer {family.token}"}
    cookie = {"Cookie": family.cookie}
    listed = [
        Request("floor: API list", f"/api/v1/groups/{gid}/piglists", bearer, floor=True),
        Request("API list", f"/api/v1/groups/{gid}/piglists", bearer),
        Request("all piglists page", f"/groups/{gid}/piglists", cookie),
    ]
    if not full:
        return listed
    return [
        *listed,
        Request("one member's page", f"/groups/{gid}/piglists/{family.other_id}", cookie),
        Request("gift page", f"/groups/{gid}/gifts/{family.other_gift_id}", cookie),
        Request("API /me", "/api/v1/me", bearer),
        Request("API purchase + undo (per request)", "", bearer, pair=family.pair_gifts),
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


def run_wrk(app, url: str, request: Request, seconds: int) -> dict:
    if request.pair is not None:
        reset_pair_gifts(app, request)
    script = "bench/wrk/pair.lua" if request.pair is not None else "bench/wrk/report.lua"
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "-s", script]
    for name, value in request.headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url + request.path)
    if request.pair is not None:
        command += ["--", ",".join(map(str, request.pair))]
    output = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    return json.loads(line.removeprefix("BENCH "))


def measure(app, site: ProcfileSite, floor: ProcfileSite, family: Family, request: Request, seconds: int):
    url = floor.url if request.floor else site.url
    if request.pair is None:
        answer = requests.get(url + request.path, headers=request.headers, timeout=30, allow_redirects=False)
        assert answer.status_code == 200, (request.name, answer.status_code, answer.text[:300])
    queries = None if request.floor else count_queries(app, family, request)
    warmup = request if request.pair is None else dataclasses.replace(request, pair=family.warmup_pair_gifts)
    run_wrk(app, url, warmup, WARMUP_SECONDS)
    figures = run_wrk(app, url, request, seconds)
    return Row(
        family.label,
        request.name,
        figures["requests"] / figures["seconds"],
        figures["p50"],
        figures["p95"],
        figures["p99"],
        figures["errors"],
        queries,
    )


def check_floor_answers_like_the_app(site: ProcfileSite, floor: ProcfileSite, family: Family) -> None:
    """The floor is only a floor if it answers the same: compared before anyone looks at a gift."""
    path = f"/api/v1/groups/{family.group_id}/piglists"
    headers = {"Authorization": f"Bearer {family.token}"}
    app_answer = requests.get(site.url + path, headers=headers, timeout=30).json()
    floor_answer = requests.get(floor.url + path, headers=headers, timeout=30).json()
    if app_answer != floor_answer:
        app_gift, floor_gift = app_answer[0]["gifts"][0], floor_answer[0]["gifts"][0]
        differs = {k for k in app_gift.keys() | floor_gift.keys() if app_gift.get(k) != floor_gift.get(k)}
        raise SystemExit(
            f"The floor's answer differs from the app's for {family.label} (first gift: {sorted(differs)}): "
            "fix bench/floor.py."
        )


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
        "| family | request | req/s | p50 ms | p95 ms | p99 ms | errors | SQL/req | vs floor |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        # No answer within the run: wrk has no latencies to report, which is not 0 ms.
        latency = " | ".join(f"{v:.1f}" if r.rps else "–" for v in (r.p50, r.p95, r.p99))
        lines.append(
            f"| {r.label} | {r.request} | {r.rps:,.1f} | {latency} | {r.errors} "
            f"| {'' if r.queries is None else r.queries} | {'' if r.ratio is None else f'{r.ratio:.0%}'} |"
        )
    return "\n".join(lines)


def verdict(ok: bool, figure: str) -> str:
    return f"{'met' if ok else 'NOT MET'} ({figure})"


def budgets(rows: list[Row], label: str) -> str:
    mine = {r.request: r for r in rows if r.label == label}
    api, page, me = mine["API list"], mine["all piglists page"], mine["API /me"]
    most = max(r.queries for r in rows if r.queries is not None)
    return BUDGETS.format(
        api_ratio=verdict(api.ratio >= 0.5, f"{api.ratio:.0%}"),
        page_ratio=verdict(page.ratio >= 0.4, f"{page.ratio:.0%}"),
        api_p99=verdict(api.p99 < 100, f"{api.p99:.0f} ms"),
        page_p99=verdict(page.p99 < 100, f"{page.p99:.0f} ms"),
        me=verdict(me.rps >= 1500, f"{me.rps:,.0f} req/s"),
        queries=verdict(most <= 8, f"at most {most}"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=int, default=8, help="measured seconds per request (after a warm-up)"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk; `make bench-web` does it).")

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="piglist-bench-web-"))
    load_before = os.getloadavg()
    with contextlib.ExitStack() as stack:
        redis_url = stack.enter_context(own_redis(workdir))
        db_url = stack.enter_context(own_database())
        # Mails are never sent under load: logging them is what the bench means (MAIL_BACKEND=log).
        env = {"PIGLIST_CONFIG": "production", "SECRET_KEY": SECRET_KEY, "MAIL_BACKEND": "log"}
        site = ProcfileSite(workdir / "site", db_url, redis_url, env=env)
        site.run("release")
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
            PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",  # seeding 38 accounts; nobody logs in under load
        )
        logging.getLogger().setLevel(logging.WARNING)  # this process's request log lines are noise here
        print(f"seeding … ({workdir})", file=sys.stderr)
        seeding = time.monotonic()
        families = [(seed(app, "8 × 25", 8, 25), True), (seed(app, "30 × 40", 30, 40), False)]

        print(f"seeded in {time.monotonic() - seeding:.0f} s", file=sys.stderr)
        stack.callback(site.stop)
        site.start(worker=False, release=False)
        stack.callback(floor.stop)
        floor.start(worker=False, release=False)
        for family, _ in families:
            check_floor_answers_like_the_app(site, floor, family)
            family.cookie = settled_cookie(site, family)

        rows: list[Row] = []
        for family, full in families:
            floor_rps = None
            for request in requests_for(family, full):
                print(f"  {family.label}: {request.name} …", file=sys.stderr)
                row = measure(app, site, floor, family, request, args.seconds)
                if request.floor:
                    floor_rps = row.rps
                elif request.name in ("API list", "all piglists page", "one member's page"):
                    row.ratio = row.rps / floor_rps
                rows.append(row)

    print(
        f"\nMachine: {machine()}; load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}."
    )
    print(
        f"wrk: 1 thread, {CONNECTIONS} connections, {args.seconds} s per request after {WARMUP_SECONDS} s warm-up.\n"
    )
    print(table(rows))
    print(f"\nBudgets, {families[0][0].label} family:\n{budgets(rows, families[0][0].label)}")
    print(f"\n({time.monotonic() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
