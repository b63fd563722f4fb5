"""Row locks that hold on both backends, released when the transaction ends.

PostgreSQL gets ``SELECT … FOR UPDATE``. SQLite has no row locks, and the embedded
default is a single process by definition, so a process-wide lock per row stands in.
"""

from __future__ import annotations

import threading
from collections import defaultdict

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from .extensions import db

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
        query = query.with_for_update(of=model)
    else:
        _hold(session, (model.__tablename__, row_id))
    return session.scalar(query.execution_options(populate_existing=True))


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
