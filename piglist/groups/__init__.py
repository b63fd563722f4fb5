"""Family groups on the website: create, join by invite link, the group overview, leave."""

from flask import Blueprint

bp = Blueprint("groups", __name__)

from . import routes  # noqa: E402,F401  (routes attach themselves to bp)
