"""The API's blueprint with every view attached: importing the view modules is what registers
their routes, so ``create_app`` imports this module, not the package."""

from . import (  # noqa: F401  (views attach themselves to bp)
    access,
    accounts,
    document,
    exchanges,
    gifts,
    group_gifts,
    groups,
    invitations,
    lists,
    occasions,
    profile,
)
from .blueprint import bp

__all__ = ["bp"]
