"""Serving pictures at /images/<key>, to the members of a group that shows them (access) and to
nobody else: 404, as for a key never stored. A key names its content for ever, so the browser
may keep a picture a year without asking again; no shared cache may keep it."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from . import access, store

bp = Blueprint("pictures", __name__)

FOREVER = "private, max-age=31536000, immutable"


@bp.get("/images/<key>")
def picture(key: str):
    user = access.requester()
    if user is None or not store.KEY.fullmatch(key) or not access.visible_to(key, user):
        abort(404)
    found = store.load(key)
    if found is None:
        abort(404)
    data, content_type = found
    response = Response(data, mimetype=content_type)
    response.headers["Cache-Control"] = FOREVER
    return response
