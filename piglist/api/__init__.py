"""The JSON API (``/api/v1``): the same services as the pages, answered as JSON."""

from flask import Blueprint

from ..extensions import csrf

bp = Blueprint("api", __name__)
# CSRF applies to requests that ride on the session cookie; access.authenticate enforces it
# there and lets Bearer-token requests (no ambient credentials) through.
csrf.exempt(bp)

from . import access, accounts, gifts, groups  # noqa: E402,F401  (views attach themselves to bp)
