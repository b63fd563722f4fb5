"""Credentials — API tokens and logins (the rows behind session cookies) — recognised without the
database on most requests (issue 12: ``/api/v1/me`` spent most of its time on the token query's
four round trips to PostgreSQL, and every page paid the same for its login).

Each web process keeps, for at most a minute, which user a credential belongs to (its row's and
the user's columns). Before trusting an entry it asks one question of Redis (one ``MGET``): has
anything about this user, or about every user, changed since the entry was made? Every change
to a user, a token or a login moves a counter there after its commit — found by watching the
ORM session (rows flushed, and UPDATE/DELETE statements on those tables: those that name their
user with :func:`for_user` move that user's counter, any other moves everyone's) — so a revoked
token, a logout, a new password or an erased account is refused by every process at once, and a
new display name shows at once.

Redis unreachable: nothing is trusted from the cache, every call asks the database as before,
and a process that meets the outage forgets every entry (something may have changed meanwhile
that nobody could announce). A counter that could not be moved is owed: the process trusts
nothing of its own cache until it is paid, and pays it as soon as Redis answers again (a
background retry, twice a second, past the breaker), so the others doubt their entries within
a second of Redis coming back. Without Redis (one process), the counters live in the process.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from cachetools import LRUCache, TTLCache
from flask import Flask, current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import Executable, Select, event, inspect
from sqlalchemy.orm import ORMExecuteState, Session

from ..extensions import db
from ..models import ApiToken, User, UserSession
from ..stores import metrics
from ..stores.detached import column_values, detached_row
from ..stores.transactions import CommitNotes

log = logging.getLogger(__name__)

# A random epoch, replaced when every user counts as changed, and made afresh when Redis lost it
# (a restart): counters that start again from nothing can't match an entry made before.
EVERYONE = "piglist:auth:epoch"
WATCHED = (User, ApiToken, UserSession)
WATCHED_TABLES = frozenset(m.__tablename__ for m in WATCHED)
PAY_INTERVAL = 0.5  # seconds between tries to announce what Redis didn't take


def _key(user_id: int) -> str:
    return f"piglist:auth:gen:{user_id}"


class RedisGenerations:
    def __init__(self, client) -> None:
        self.client = client
        # The same connections without the breaker, for the background retry of an owed move:
        # it may wait out a slow answer, and must not wait for the breaker to close.
        self.unguarded = Redis(connection_pool=client.connection_pool)

    def read(self, user_id: int) -> Hashable:
        epoch, count = self.client.mget(EVERYONE, _key(user_id))
        if epoch is None:
            self.client.set(EVERYONE, secrets.token_hex(8), nx=True)
            epoch, count = self.client.mget(EVERYONE, _key(user_id))
        return (epoch, count)

    def move(self, user_ids: set[int], everyone: bool, guarded: bool = True) -> None:
        pipe = (self.client if guarded else self.unguarded).pipeline(transaction=False)
        if everyone:
            pipe.set(EVERYONE, secrets.token_hex(8))
        for user_id in user_ids:
            pipe.incr(_key(user_id))
        pipe.execute()


class MemoryGenerations:
    """One process without Redis: the counters are this process's own."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()

    def read(self, user_id: int) -> Hashable:
        return (self.counts.get(EVERYONE, 0), self.counts.get(_key(user_id), 0))

    def move(self, user_ids: set[int], everyone: bool, guarded: bool = True) -> None:
        with self.lock:
            for key in [EVERYONE] * everyone + [_key(u) for u in user_ids]:
                self.counts[key] = self.counts.get(key, 0) + 1


class CredentialCache:
    """key -> (its user's counters when read, the user's columns, the credential's model and
    columns); and key -> user id, which never changes for a credential, so that counters can be
    read before the rows they vouch for. A key is the kind and the secret's hash."""

    def __init__(self, generations, max_entries: int, max_age: float) -> None:
        self.generations = generations
        self.entries: TTLCache[str, tuple[Hashable, dict[str, Any], type, dict[str, Any]]] = TTLCache(
            maxsize=max(max_entries, 1), ttl=max_age
        )
        self.owners: LRUCache[str, int] = LRUCache(maxsize=max(max_entries, 1))
        self.enabled = max_entries > 0
        self.lock = threading.Lock()
        # Changes committed here whose counters Redis didn't take: (users, everyone).
        self.owed_users: set[int] = set()
        self.owed_everyone = False
        self.paying: threading.Thread | None = None

    def generation(self, user_id: int) -> Hashable | None:
        """The user's counters now, or None when nothing may be trusted: Redis can't be read (what
        was cached before the outage is forgotten), or this process owes a move."""
        if self.owed_users or self.owed_everyone:
            return None
        try:
            return self.generations.read(user_id)
        except RedisError as exc:
            log.debug("credential cache bypassed and emptied, Redis unreachable: %s", exc)
            self.forget()
            return None

    def forget(self, user_ids: set[int] | None = None) -> None:
        """Drop the entries of ``user_ids`` (all of them when None)."""
        with self.lock:
            if user_ids is None:
                self.entries.clear()
                return
            for key in [key for key, entry in self.entries.items() if entry[1]["id"] in user_ids]:
                del self.entries[key]

    def announce(self, user_ids: set[int], everyone: bool) -> None:
        """Move the counters after a commit; when Redis doesn't take it, the move is owed."""
        try:
            self.generations.move(user_ids, everyone)
        except RedisError as exc:
            log.warning("could not tell other processes of a change to users or tokens yet: %s", exc)
            self.owe(user_ids, everyone)

    def owe(self, user_ids: set[int], everyone: bool) -> None:
        self.forget(None if everyone else user_ids)
        with self.lock:
            self.owed_users |= user_ids
            self.owed_everyone = self.owed_everyone or everyone
            if self.paying is None or not self.paying.is_alive():
                self.paying = threading.Thread(target=self._pay, name="piglist-credentials", daemon=True)
                self.paying.start()

    def _pay(self) -> None:
        while True:
            time.sleep(PAY_INTERVAL)
            with self.lock:
                users, everyone = set(self.owed_users), self.owed_everyone
            try:
                self.generations.move(users, everyone, guarded=False)
            except RedisError:
                continue
            with self.lock:
                self.owed_users -= users
                self.owed_everyone = self.owed_everyone and not everyone
                if not (self.owed_users or self.owed_everyone):
                    log.info("changes to users or tokens announced now that Redis answers")
                    return

    def lookup(self, key: str) -> tuple[User, Any] | None:
        """The credential and its user from the cache, attached to this request's session without
        a query; None when not cached or no longer to be trusted."""
        if not self.enabled:
            return None
        with self.lock:
            found = self.entries.get(key)
        if found is None:
            return None
        generation, user_columns, model, columns = found
        if self.generation(user_columns["id"]) != generation:
            return None
        return _attached(User, user_columns), _attached(model, columns)

    def owner(self, key: str) -> int | None:
        with self.lock:
            return self.owners.get(key)

    def remember(self, key: str, generation: Hashable | None, user: User, credential: Any) -> None:
        """``generation`` was read before the rows were (so an entry is never older than its
        counters say), or is None: then only the credential's owner is learnt, for next time."""
        if not self.enabled:
            return
        with self.lock:
            self.owners[key] = user.id
            if generation is not None:
                self.entries[key] = (
                    generation,
                    column_values(user),
                    type(credential),
                    column_values(credential),
                )

    def find(self, key: str, query: Callable[[], Select]) -> tuple[User, Any] | None:
        """The credential ``query()`` reads (a select of one row with a ``user``), with its user:
        from the cache when it may be trusted, else from the database, remembered for next time.
        The query is built only on a miss (building it cost a cached ``/me`` an eighth of its time)."""
        found = self.lookup(key)
        metrics.count_cache("credentials", hit=found is not None)
        if found is not None:
            return found
        owner = self.owner(key)
        generation = self.generation(owner) if owner is not None else None
        row = db.session.scalar(query())
        if row is None:
            return None
        # Counters read before the row vouch for it; the first time, only its owner is learnt.
        self.remember(key, generation if row.user_id == owner else None, row.user, row)
        return row.user, row


def _attached(model: type, columns: dict[str, Any]) -> Any:
    """A persistent row of this request's session, made from stored columns without a query
    (the request's session is new: nothing of this identity is in it yet)."""
    row = detached_row(model, columns)
    session = db.session()
    existing = session.identity_map.get(inspect(row).key)
    if existing is not None:
        return existing
    session.add(row)
    return row


def credential_cache() -> CredentialCache:
    return current_app.extensions["piglist_credentials"]


# --- what moves the counters --------------------------------------------------------------------


@dataclass
class _Changes:
    """Whose credentials a transaction changed (``everyone``: a statement that didn't say whose),
    announced to every process once it commits."""

    users: set[int] = field(default_factory=set)
    everyone: bool = False


def _after_flush(session: Session, _context: Any) -> None:
    users = _changes.of(session).users
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, User) and row.id is not None:
            users.add(row.id)
        elif isinstance(row, ApiToken | UserSession) and row.user_id is not None:
            users.add(row.user_id)


def for_user(statement: Executable, user_id: int) -> Executable:
    """An UPDATE or DELETE of users, tokens or logins that touches ``user_id``'s rows only (the
    caller's WHERE says so): it moves that user's counter, not everyone's."""
    return statement.execution_options(piglist_credential_owner=user_id)


def _on_execute(state: ORMExecuteState) -> None:
    """An UPDATE or DELETE statement on users, tokens or logins: whose rows, only
    :func:`for_user` says; without it, everyone's entries are doubted."""
    table = getattr(state.statement, "table", None)  # an UPDATE's or DELETE's
    if (state.is_update or state.is_delete) and getattr(table, "name", "") in WATCHED_TABLES:
        owner = state.execution_options.get("piglist_credential_owner")
        if owner is None:
            _changes.of(state.session).everyone = True
        else:
            _changes.of(state.session).users.add(owner)


def _announce(changes: _Changes) -> None:
    if not (changes.users or changes.everyone) or not has_app_context():
        return
    cache = current_app.extensions.get("piglist_credentials")
    if cache is not None:
        cache.announce(changes.users, changes.everyone)


_changes = CommitNotes("piglist_auth_changes", _Changes, _announce)


_listening = False


def init_app(app: Flask) -> None:
    global _listening
    client = app.extensions["piglist_redis"]
    generations = RedisGenerations(client) if client is not None else MemoryGenerations()
    app.extensions["piglist_credentials"] = CredentialCache(
        generations, app.config["CREDENTIAL_CACHE_ENTRIES"], app.config["CREDENTIAL_CACHE_SECONDS"]
    )
    if not _listening:  # the session class is the process's, whatever the number of apps
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_execute)
        _listening = True
