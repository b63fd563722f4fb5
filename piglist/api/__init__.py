"""The JSON API (``/api/v1``): the same services as the pages, answered as JSON."""

from . import access, accounts, gifts, groups, invitations, lists, profile  # noqa: F401  (views attach themselves to bp)
from .blueprint import bp

__all__ = ["bp"]
