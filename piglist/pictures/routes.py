"""Serving pictures at /images/<key>. A key names its content for ever, so browsers may keep a
picture a year without asking again; the key (a hash of the picture) is the only way to it."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from . import store

bp = Blueprint("pictures", __name__)

FOREVER = "public, max-age=31536000, immutable"


@bp.get("/images/<key>")
def picture(key: str):
    found = store.load(key)
    if found is None:
        abort(404)
    data, content_type = found
    response = Response(data, mimetype=content_type)
    response.headers["Cache-Control"] = FOREVER
    return response
