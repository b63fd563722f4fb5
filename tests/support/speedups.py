"""Speed-ups of the test processes that reach into libraries' internals: Werkzeug's compiled URL
rules, Flask-SQLAlchemy's engine creation, redis-py's version look-up and Jinja's compiled
templates, each shared across the apps a test process makes (each test builds its own app, for
isolation, and those libraries would otherwise redo the same work for every one).

They are kept together here because they are the suite's only dependence on private names. Each
checks that what it replaces is still there and stops the run with a message if a library
changed under it (pinned in requirements-dev.lock): a silent fallback would only make the suite
slow, and nobody would know why.
"""

from __future__ import annotations

import functools

from jinja2 import BytecodeCache
from werkzeug.routing import Rule

from piglist.extensions import db


class LibraryChanged(RuntimeError):
    """A speed-up's private target is gone: update the speed-up to the library (or drop it)."""


def _require(owner: object, what: str, *names: str) -> None:
    missing = [name for name in names if not hasattr(owner, name)]
    if missing:
        raise LibraryChanged(
            f"{what} no longer has {', '.join(missing)}: tests/support/speedups.py patches it to share "
            "work across the test apps. Update the patch to the installed version, or remove it."
        )


def install() -> None:
    """Every speed-up, once per test process (conftest.py calls it before any app is made)."""
    _share_compiled_rules()
    _share_engines()
    _read_redis_version_once()


def _share_compiled_rules() -> None:
    """Each test builds its own app (isolation), and most of create_app's time is Werkzeug compiling
    its ~85 rules: parsing each rule string with regular expressions and writing two URL-builder
    functions with ``ast``. What that yields depends only on the rule and its map's converters, so in
    a test process it is done once per rule and handed to every app's copy of it: the parts and
    trace (never changed after compiling), a dict of its own of the converters (stateless, and no
    converter reads its map after construction), and the builders, which take the rule as ``self``
    when called. Apps still get rules and a matcher of their own."""
    compile_rule = Rule.compile
    _require(Rule, "Werkzeug's Rule", "_parse_rule", "_compile_builder")
    compiled: dict = {}

    @functools.wraps(compile_rule)
    def shared(self):
        try:
            key = (
                self.rule,
                self.subdomain,
                self.host,
                self.map.host_matching,
                self.merge_slashes,
                repr(sorted((self.defaults or {}).items())),
                tuple(sorted(self.map.converters.items())),
            )
            hash(key)
        except TypeError:
            return compile_rule(self)
        if key not in compiled:
            compile_rule(self)
            compiled[key] = (
                self._parts,
                self._trace,
                self._converters,
                frozenset(self.arguments),
                self._build.__func__,
                self._build_unknown.__func__,
            )
            return None
        parts, trace, converters, arguments, build, build_unknown = compiled[key]
        self._parts, self._trace, self._converters = list(parts), list(trace), dict(converters)
        self.arguments = set(arguments)
        self._build = build.__get__(self, None)
        self._build_unknown = build_unknown.__get__(self, None)
        return None

    Rule.compile = shared


def _share_engines() -> None:
    """One SQLAlchemy engine per PostgreSQL database and set of options for the whole test process,
    rather than one per test's app: an engine's compiled-statement cache and pooled connections
    then outlive the test, as they do in a server. Apps stay per test; SQLite files (a new one per
    test) keep engines of their own."""
    _require(db, "Flask-SQLAlchemy's SQLAlchemy", "_make_engine")
    make_engine = db._make_engine
    engines: dict = {}

    def shared(bind_key, options, app):
        if not str(options.get("url", "")).startswith("postgresql"):
            return make_engine(bind_key, options, app)
        key = repr(sorted(options.items(), key=lambda item: item[0]))
        if key not in engines:
            engines[key] = make_engine(bind_key, options, app)
        return engines[key]

    db._make_engine = shared


def _read_redis_version_once() -> None:
    """redis-py looks its own version up in the installed package's metadata (a file parsed with
    the email module, ~1 ms) for every client it makes, and each test's app makes several, as does
    every job enqueued. A test process; the version can't change while it runs."""
    import redis.utils

    _require(redis.utils, "redis-py's utils", "get_lib_version")
    redis.utils.get_lib_version = functools.cache(redis.utils.get_lib_version)


class _Bytecode(BytecodeCache):
    """Templates compiled once per test process, not once per test's app (Jinja keys each by its
    name and the checksum of its source)."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_BYTECODE = _Bytecode()
