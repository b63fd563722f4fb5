"""The cold path's CPU, for A/B comparisons of a change (``python bench/cold.py [--profile] [--warm]``).

Seeds the 8 x 25 family of bench/web.py and, in this process under Flask's test client with
production settings and ``LIST_CACHE_BYTES=0 CREDENTIAL_CACHE_ENTRIES=0`` (every list rendered,
every credential read afresh), asks for the API list and the all-lists page over and over. Prints
the CPU time (``time.process_time``: this process, the app's work and its client's, not the
database's) per request, the median of five rounds, and with ``--profile`` the functions
cProfile finds most time in. CPU time, not wall time: other load on the machine barely moves it.
``--warm`` keeps the caches as configured: the same figures for the warm path.

cProfile charges each Python call a fixed cost, so it inflates code made of many small calls
(Jinja's compiled templates above all: about 15 times their real share against the database
driver's). ``--parts`` times the parts of a request instead (``process_time`` around a few
functions, no profiler): reading the gifts, the templates, the login, the membership check.
On a shared machine compare parts as shares of the same run, not across runs.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import contextvars
import cProfile
import logging
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade
from sqlalchemy import event

from bench.web import SECRET_KEY, own_database, own_redis, seed, seed_rates
from config import ProductionConfig
from piglist import create_app
from piglist.extensions import db
from piglist.gifts import listcache, reading
from piglist.gifts import routes as gift_routes

# What --parts times: (module, function name, label).
PARTS = (
    (listcache, "piglists_of", "reading the gifts (piglists_of)"),
    (gift_routes, "render_template", "templates (gifts' pages)"),
    (reading, "group_and_members", "membership, group, members and their lists' versions"),
    (listcache, "looking_at", "presence"),
)


def timing_parts(app) -> collections.Counter:
    """Wrap PARTS (and the login's user loading) so each adds its CPU time to the counter."""
    spent: collections.Counter = collections.Counter()

    def timed(function, label):
        def wrapper(*args, **kwargs):
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] += time.process_time() - started

        return wrapper

    for module, name, label in PARTS:
        setattr(module, name, timed(getattr(module, name), label))
    manager = app.login_manager
    manager._load_user = timed(manager._load_user, "login (the session's row and its user)")
    return spent


def per_request(client, path: str, headers: dict[str, str], count: int) -> float:
    """Milliseconds of this process's CPU per request, each in a fresh context as on a server."""
    started = time.process_time()
    for _ in range(count):
        answer = contextvars.Context().run(client.get, path, headers=headers, base_url="https://localhost")
        assert answer.status_code == 200, (path, answer.status_code)
    return 1000 * (time.process_time() - started) / count


def statements(app, client, path: str, headers: dict[str, str]) -> int:
    """SQL statements one request runs (as bench/web.py counts them)."""
    count = 0

    def counted(*_args) -> None:
        nonlocal count
        count += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counted)
    try:
        per_request(client, path, headers, 1)
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40, help="requests per round")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument("--top", type=int, default=45, help="how many functions --profile prints")
    parser.add_argument("--only", help="only the requests whose name contains this")
    parser.add_argument("--parts", action="store_true", help="CPU per request of the parts (no profiler)")
    parser.add_argument(
        "--warm", action="store_true", help="with the caches on, as configured (the warm path)"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="piglist-bench-cold-"))
    with contextlib.ExitStack() as stack:
        redis_url = stack.enter_context(own_redis(workdir))
        db_url = stack.enter_context(own_database())
        app = create_app(
            ProductionConfig,
            SQLALCHEMY_DATABASE_URI=db_url,
            REDIS_URL=redis_url,
            SECRET_KEY=SECRET_KEY,
            PUBLIC_URL="https://localhost",
            MAIL_BACKEND="log",
            PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
            **({} if args.warm else {"LIST_CACHE_BYTES": 0, "CREDENTIAL_CACHE_ENTRIES": 0}),
        )
        with app.app_context():
            upgrade()
        logging.getLogger().setLevel(logging.WARNING)
        spent = timing_parts(app) if args.parts else None
        seed_rates(app)
        family = seed(app, "8 x 25", 8, 25)
        client = app.test_client()
        name, _, value = family.cookie.partition("=")
        client.set_cookie(name, value, domain="localhost")
        asks = {
            "API list": (
                f"/api/v1/groups/{family.group_id}/piglists",
                {"Authorization": f"Bearer {family.token}"},
            ),
            "all piglists page (index)": (f"/groups/{family.group_id}/piglists", {}),
            "a list's frame (25 gifts)": (f"/groups/{family.group_id}/piglists/{family.other_id}/frame", {}),
            "API /me": ("/api/v1/me", {"Authorization": f"Bearer {family.token}"}),
        }
        for label, (path, headers) in asks.items():
            if args.only and args.only not in label:
                continue
            per_request(client, path, headers, 5)  # first-use work
            if spent is not None:
                spent.clear()
            rounds = [per_request(client, path, headers, args.requests) for _ in range(5)]
            print(
                f"{label}: {statistics.median(rounds):.2f} ms CPU per request (rounds: "
                + ", ".join(f"{r:.2f}" for r in rounds)
                + f"), {statements(app, client, path, headers)} SQL statements"
            )
            if spent is not None:
                count = 5 * args.requests
                total = sum(rounds) / 5
                for part, seconds in spent.most_common():
                    share = 1000 * seconds / count
                    print(f"    {part}: {share:.2f} ms ({share / total:.0%})")
            if args.profile:
                profile = cProfile.Profile(time.process_time)  # CPU, not waiting on the database
                profile.enable()
                per_request(client, path, headers, args.requests)
                profile.disable()
                pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)
                pstats.Stats(profile).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
