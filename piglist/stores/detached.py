"""Rows kept outside any session by the process caches (piglist.auth.credentials,
piglist.gifts.listcache): copied from a loaded row, or rebuilt from its columns, the way the ORM's
loading makes rows. Safe to keep and read from any request; never to change or add to a session.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import make_transient_to_detached


def column_values(row: Any) -> dict[str, Any]:
    """A row's columns by attribute name, as loaded."""
    return {attr.key: getattr(row, attr.key) for attr in sa_inspect(row).mapper.column_attrs}


def detached_row(model: type, columns: dict[str, Any]) -> Any:
    """A ``model`` row made from ``columns`` (all of them, as :func:`column_values` gives) in no
    session, as if loaded: made the way the ORM's loading makes rows, without ``__init__``, whose
    attribute events cost more than the rest."""
    row: Any = sa_inspect(model).class_manager.new_instance()
    row.__dict__.update(columns)
    make_transient_to_detached(row)
    return row


def detached_copy(row: Any) -> Any:
    """A copy of ``row``'s columns in no session: safe to keep and read from any request (its
    relationships can't be loaded), never to change or to add to a session."""
    return detached_row(type(row), column_values(row))
