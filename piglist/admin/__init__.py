"""The group admins' pages, under /admin/groups/<id>/ — every route behind one admin check."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import routes  # noqa: E402,F401  (routes attach themselves to bp)
