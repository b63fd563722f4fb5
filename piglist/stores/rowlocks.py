"""Row locks that hold on both backends, released when the transaction ends.

PostgreSQL gets ``SELECT … FOR NO KEY UPDATE``: it excludes every other locker as ``FOR UPDATE``
would, but not the key-share lock a foreign-key check takes on the row it points to. With
``FOR UPDATE``, an admin releasing a departed member's purchases (the group locked, then each
gift) and a purchase committing (the gift locked; at commit, the version triggers update its
list twice, and PostgreSQL re-checks a foreign key when the row's previous version is the
transaction's own: the list's key to its group, a key-share lock on the group's row)
deadlocked. Piglist never changes the key of a row it locks, which is all ``NO KEY`` asks.

SQLite has no row locks, and the embedded default is a single process by definition, so a
process-wide lock per row stands in.
"""

from __future__ import annotations

import threading
from collections import defaultdict

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from piglist.extensions import db

_sqlite_locks: defaultdict[tuple[str, int], threading.Lock] = defaultdict(threading.Lock)
_registry_guard = threading.Lock()
_HELD = "piglist_held_locks"


def lock_row(model, row_id: int):
    """Load ``model`` row ``row_id`` locked until commit or rollback; None when it doesn't exist."""
    return locked(select(model).where(model.id == row_id), model, row_id)


def locked(query, model, row_id: int):
    """Run ``query``, a select of ``model`` (with rows joined to it, read but not locked), holding
    ``model``'s row ``row_id`` locked until commit or rollback: one round trip for the lock and
    the reads that go with it. Its first result, freshly loaded, or None."""
    session = db.session()
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=model, key_share=True)
    else:
        _hold(session, (model.__tablename__, row_id))
    return session.scalar(query.execution_options(populate_existing=True))


def locked_all(query, model, row_ids: list[int]) -> list:
    """:func:`locked` for several rows: ``query`` (a select of ``model``) for ``row_ids``, every
    one of them held locked until commit or rollback, taken in id order (two callers locking
    overlapping rows can't deadlock): one round trip. The rows found, freshly loaded, in id order."""
    if not row_ids:
        return []
    session = db.session()
    query = query.where(model.id.in_(row_ids)).order_by(model.id)
    if session.get_bind().dialect.name == "postgresql":
        # ORDER BY is applied before the rows are locked: they are locked in that order.
        query = query.with_for_update(of=model, key_share=True)
    else:
        for row_id in sorted(row_ids):
            _hold(session, (model.__tablename__, row_id))
    return list(session.scalars(query.execution_options(populate_existing=True)).unique())


def _hold(session: Session, key: tuple[str, int]) -> None:
    held = session.info.setdefault(_HELD, [])
    if key not in [k for k, _ in held]:
        with _registry_guard:
            lock = _sqlite_locks[key]
        lock.acquire()
        held.append((key, lock))


@event.listens_for(Session, "after_transaction_end")
def _release(session: Session, transaction) -> None:
    # The outermost transaction's end covers commit, rollback and close alike.
    if transaction.parent is None:
        for _, lock in session.info.pop(_HELD, []):
            lock.release()
