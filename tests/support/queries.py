"""Counting the SQL statements a request runs, and the budget they are held to.

Several modules hold a request to a number of statements (README, Performance: the list pages, a
purchase and its undo, a release, a token already known) or check that a cached answer read no
gift at all. They all count the same way, here: every statement the engine sends, as SQLAlchemy's
``before_cursor_execute`` sees it, so a budget means the same thing wherever it is asserted.
"""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from piglist.extensions import db

BUDGET = 8  # README, Performance


@contextmanager
def counting_queries():
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def gift_queries(statements: list[str]) -> int:
    return sum(1 for s in statements if "FROM gifts" in s)
