"""Piglists and gifts on the website: the lists, adding and editing gifts, buying them."""

from flask import Blueprint

bp = Blueprint("gifts", __name__)

from . import routes  # noqa: E402,F401  (routes attach themselves to bp)
