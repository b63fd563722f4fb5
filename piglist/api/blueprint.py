"""The API's blueprint, apart from the package so that its view modules import it without
importing the package that imports them."""

from flask import Blueprint

from ..extensions import csrf

bp = Blueprint("api", __name__)
# CSRF applies to requests that ride on the session cookie; access.authenticate enforces it
# there and lets Bearer-token requests (no ambient credentials) through.
csrf.exempt(bp)
