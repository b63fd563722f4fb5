"""What a transaction notes down to act on once it has committed, and only then.

Two parts of the app act on what a transaction changed after it commits: the live feed (the
events and membership changes to publish) and the credentials cache (whose entries every process
must doubt). Told before the commit, another process reads the old rows and keeps them as
current; told after a rollback, readers chase a change that never happened.

SQLAlchemy makes "the transaction committed" easy to get wrong, and each of the two got it wrong
once: ``after_commit`` also runs when a savepoint is released; the rollback hooks also run for a
savepoint, and for the inner transaction a failing flush opens, which is not flagged as nested;
and closing a session ends its transaction with no rollback hook at all. :class:`CommitNotes` is
the one place that reads those hooks: a note is handed on when the outermost transaction commits,
and dropped when it ends any other way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

Note = TypeVar("Note")


class CommitNotes(Generic[Note]):
    """A note per session (kept in ``session.info`` under ``key``, made by ``make`` on first use),
    handed to ``committed(note)`` once the outermost transaction commits, dropped when it rolls
    back or the session is closed. Savepoints, released or rolled back, leave it to the transaction
    around them: what a rolled-back savepoint had noted is handed on too (readers re-read, so
    telling too much costs a read; telling too little would leave a stale answer)."""

    def __init__(self, key: str, make: Callable[[], Note], committed: Callable[[Note], None]) -> None:
        self.key = key
        self.make = make
        self.committed = committed
        event.listen(Session, "after_commit", self._after_commit)
        event.listen(Session, "after_transaction_end", self._after_transaction_end)

    def of(self, session: Session) -> Note:
        """This session's note, to add to."""
        if self.key not in session.info:
            session.info[self.key] = self.make()
        return session.info[self.key]

    def _after_commit(self, session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint released: nothing is committed until the transaction around it is
        note = session.info.pop(self.key, None)
        if note is not None:
            self.committed(note)

    def _after_transaction_end(self, session: Session, ended: SessionTransaction) -> None:
        if ended.parent is None:
            # The outermost transaction is over, however it ended: a commit has handed its note on
            # already (after_commit runs first), and a rollback or a close() discards it.
            session.info.pop(self.key, None)
