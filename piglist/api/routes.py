"""The API's blueprint with every view attached: importing the view modules is what registers
their routes, so ``create_app`` imports this module, not the package."""

from . import access, accounts, document, gifts, groups, invitations, profile  # noqa: F401  (views attach themselves to bp)
from .blueprint import bp

__all__ = ["bp"]
