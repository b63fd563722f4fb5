"""Many families at once, for ``make bench-web``: hundreds of families of 8 x 25 seeded in bulk, and
the site asked for a random family's all-lists page as a random member of it (5 % of the requests
a purchase or its undo through the API), stepping up the connections until p99 passes 100 ms.

The lists' cache holds about 20 families of 8 per process, so most pages here are the cold path:
what a real December would ask of the box, which the one-family runs (a warm cache) hide.

Seeding goes through SQL, not the app's services (4,000 accounts and 100,000 gifts one commit at
a time take an hour): ``INSERT … SELECT generate_series`` writes rows the services would have
written (each member's list with its recipient and manager rows, three categories a group, a third
of the gifts bought with their ``purchases`` row, one login and one API token a member), with the
database's triggers off for the load (the version counters they move start at 0, as for a new
row). Session cookies are signed here with the site's SECRET_KEY, as Flask-Login would after a
login from wrk (no User-Agent, 127.0.0.1), with a CSRF token already in them, so no answer
rewrites the cookie.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from flask import Flask
from flask_login.utils import _create_identifier

MEMBERS = 8
GIFTS = 25
PURCHASE_SHARE = 0.05
P99_LIMIT_MS = 100.0

SEED = """
CREATE TEMP TABLE bench_people AS
SELECT f, m,
       %(user0)s + f * %(members)s + m AS user_id,
       %(group0)s + f AS group_id,
       %(list0)s + f * %(members)s + m AS list_id
FROM generate_series(0, %(families)s - 1) f, generate_series(0, %(members)s - 1) m;

INSERT INTO users (id, email, display_name, password_hash, created_at, purchase_alerts, reminders)
SELECT user_id, format('m%%s@f%%s.many.bench.example', m, f), format('Member %%s of family %%s', m, f),
       %(password_hash)s, now(), true, true
FROM bench_people;

INSERT INTO groups (id, name, invite_code, is_locked, currency, created_at, version)
SELECT %(group0)s + f, format('Family %%s', f), md5(%(salt)s || 'invite' || f), false, 'USD', now(), 0
FROM generate_series(0, %(families)s - 1) f;

INSERT INTO group_members (group_id, user_id, role, joined_at)
SELECT group_id, user_id, CASE WHEN m = 0 THEN 'admin' ELSE 'member' END, now() FROM bench_people;

INSERT INTO piglists (id, group_id, user_id, kind, status, created_at, version, purchase_version)
SELECT list_id, group_id, user_id, 'member', 'active', now(), 0, 0 FROM bench_people;
INSERT INTO list_recipients (list_id, user_id) SELECT list_id, user_id FROM bench_people;
INSERT INTO list_managers (list_id, user_id) SELECT list_id, user_id FROM bench_people;

INSERT INTO categories (id, group_id, name, spending_limit, display_order, created_at)
SELECT %(category0)s + f * 3 + c, %(group0)s + f, format('Category %%s', c), 100000, c, now()
FROM generate_series(0, %(families)s - 1) f, generate_series(0, 2) c;

INSERT INTO gifts (id, piglist_id, title, price, currency, options, category_id, url, image_url,
                   description, status, purchased_by_id, purchased_at, scrape_status, quantity,
                   priority, is_idea, created_at, updated_at)
SELECT %(gift0)s + (p.f * %(members)s + p.m) * %(gifts)s + n, p.list_id,
       format('Gift %%s of Member %%s', n, p.m), (n + 1) + (n %% 100) / 100.0, 'USD',
       CASE WHEN n %% 2 = 1 THEN '{"size": "M", "colour": "green"}'::jsonb ELSE '{}'::jsonb END,
       CASE WHEN n %% 4 < 3 THEN %(category0)s + p.f * 3 + n %% 4 END,
       format('https://shop.example/f%%s/%%s/%%s', p.f, p.m, n),
       format('https://shop.example/img/%%s-%%s-%%s.jpg', p.f, p.m, n),
       format('Member %%s would love this.', p.m),
       CASE WHEN n %% 3 = 0 THEN 'purchased' ELSE 'available' END,
       CASE WHEN n %% 3 = 0 THEN %(user0)s + p.f * %(members)s + (p.m + 1) %% %(members)s END,
       CASE WHEN n %% 3 = 0 THEN now() END,
       'manual', 1, 'normal', false, now() - n * interval '1 minute', now()
FROM bench_people p, generate_series(0, %(gifts)s - 1) n;

INSERT INTO purchases (gift_id, user_id, quantity, purchased_at)
SELECT id, purchased_by_id, 1, purchased_at FROM gifts
WHERE id >= %(gift0)s AND status = 'purchased';

INSERT INTO user_sessions (user_id, key_hash, created_at)
SELECT user_id, encode(sha256(convert_to(%(salt)s || 'login' || user_id, 'UTF8')), 'hex'), now()
FROM bench_people;

INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at)
SELECT user_id, 'bench', encode(sha256(convert_to('pgl_' || %(salt)s || 'token' || user_id, 'UTF8')), 'hex'),
       left('pgl_' || %(salt)s, 10), now()
FROM bench_people;
"""

SEQUENCES = ("users", "groups", "piglists", "categories", "gifts", "purchases", "user_sessions", "api_tokens")


@dataclass
class Families:
    count: int
    group_ids: list[int]  # family f's group
    user_ids: list[list[int]]  # family f's members, member 0 first
    salt: str
    first_gift: int

    def login_key(self, user_id: int) -> str:
        return f"{self.salt}login{user_id}"

    def token(self, user_id: int) -> str:
        return f"pgl_{self.salt}token{user_id}"

    def gift(self, family: int, member: int, n: int) -> int:
        return self.first_gift + (family * MEMBERS + member) * GIFTS + n


def seed(database_url: str, families: int, password_hash: str) -> Families:
    """``families`` families of MEMBERS x GIFTS, in one transaction."""
    salt = secrets.token_hex(16)
    with psycopg.connect(database_url) as conn:
        base = {
            name: conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {name}").fetchone()[0]
            for name in ("users", "groups", "piglists", "categories", "gifts")
        }
        conn.execute("SET LOCAL session_replication_role = replica")  # triggers off for the load
        params = {
            "families": families,
            "members": MEMBERS,
            "gifts": GIFTS,
            "user0": base["users"],
            "group0": base["groups"],
            "list0": base["piglists"],
            "category0": base["categories"],
            "gift0": base["gifts"],
            "password_hash": password_hash,
            "salt": salt,
        }
        for statement in SEED.split(";\n"):
            if statement.strip():
                conn.execute(statement, params)
        for table in SEQUENCES:
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        conn.execute("ANALYZE")
    return Families(
        count=families,
        group_ids=[base["groups"] + f for f in range(families)],
        user_ids=[[base["users"] + f * MEMBERS + m for m in range(MEMBERS)] for f in range(families)],
        salt=salt,
        first_gift=base["gifts"],
    )


def session_cookie(app: Flask, user_id: int, key: str) -> str:
    """The cookie Flask-Login would set after ``user_id`` logged in from wrk (127.0.0.1, no
    User-Agent), holding a CSRF token already, as a browser's does after its first page."""
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        identifier = _create_identifier()
    data = {
        "_user_id": f"{user_id}.{key}",
        "_fresh": False,  # as Flask-Login leaves it once it saw no User-Agent like the login's
        "_id": identifier,
        "csrf_token": hashlib.sha1(secrets.token_bytes(32)).hexdigest(),
    }
    return "session=" + app.session_interface.get_signing_serializer(app).dumps(data)


def write_requests(app: Flask, families: Families, path: Path) -> None:
    """One line a member for bench/wrk/many.lua: the all-lists page's path, the member's cookie,
    their token and a gift of the next member's list that starts available (for purchases), and
    the paths of the page's 8 list frames."""
    lines = []
    for f in range(families.count):
        group = families.group_ids[f]
        for m, user_id in enumerate(families.user_ids[f]):
            cookie = session_cookie(app, user_id, families.login_key(user_id))
            gift = families.gift(f, (m + 1) % MEMBERS, 1)  # n % 3 != 0: available
            frames = ",".join(f"/groups/{group}/piglists/{owner}/frame" for owner in families.user_ids[f])
            lines.append(f"/groups/{group}/piglists\t{cookie}\t{families.token(user_id)}\t{gift}\t{frames}")
    path.write_text("\n".join(lines) + "\n")


@dataclass
class Step:
    connections: int
    rps: float
    pages_rps: float  # whole all-lists pages: index + 8 frames
    p50: float
    p99: float
    errors: int  # no answer, or a 4xx other than 409, or a 5xx
    conflicts: int  # 409: a purchase of a gift someone finished buying first (the right answer)
    cpu_ms: float | None


def run_step(url: str, requests_file: Path, connections: int, seconds: int, root: Path, cpu) -> Step:
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", "bench/wrk/many.lua", url, "--", str(requests_file), str(PURCHASE_SHARE),
    ]  # fmt: skip
    with cpu() as used:
        output = subprocess.run(command, cwd=root, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    figures = json.loads(line.removeprefix("BENCH "))
    seconds_run = figures["seconds"]
    return Step(
        connections,
        figures["requests"] / seconds_run,
        # A whole page is its index and its 8 frames (a browser scrolling down loads them all).
        figures["pages"] / (MEMBERS + 1) / seconds_run,
        figures["p50"],
        figures["p99"],
        figures["errors"],
        figures["conflicts"],
        used.ms_per(figures["requests"]),
    )


def step_up(url: str, requests_file: Path, seconds: int, root: Path, cpu, steps: list[int]) -> list[Step]:
    """Connections stepped up until p99 passes the limit (wrk is closed-loop: a rate that holds
    p99 < 100 ms with c connections is one the box sustains for c clients at once)."""
    found = []
    for connections in steps:
        step = run_step(url, requests_file, connections, seconds, root, cpu)
        found.append(step)
        if step.p99 >= P99_LIMIT_MS:
            break
    return found


def best(steps: list[Step]) -> Step | None:
    held = [s for s in steps if s.p99 < P99_LIMIT_MS and not s.errors]
    return max(held, key=lambda s: s.pages_rps) if held else None


def steps_table(steps: list[Step]) -> str:
    lines = [
        "| connections | req/s | whole pages/s | p50 ms | p99 ms | errors | 409 (already bought) | worker CPU ms/req |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in steps:
        cpu = "" if s.cpu_ms is None else f"{s.cpu_ms:.1f}"
        lines.append(
            f"| {s.connections} | {s.rps:,.1f} | {s.pages_rps:,.1f} | {s.p50:.1f} | {s.p99:.1f} "
            f"| {s.errors} | {s.conflicts} | {cpu} |"
        )
    return "\n".join(lines)
