"""Room for a picture in the requests that may carry one. Every other request keeps the small
MAX_CONTENT_LENGTH; a view marked :func:`accepts_picture` reads a multipart body up to
UPLOAD_REQUEST_BYTES, so a photo too large for the 5 MB rule is read and refused with a
sentence under the field, not cut off with a bare 413."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, request

UPLOAD_REQUEST_BYTES = 25 * 1024 * 1024


def accepts_picture(view: Callable) -> Callable:
    view.accepts_picture = True  # type: ignore[attr-defined]
    return view


def init_app(app: Flask) -> None:
    """Registered first: the input checks and CSRFProtect read a form's body."""

    @app.before_request
    def make_room_for_a_picture() -> None:
        view = app.view_functions.get(request.endpoint or "")
        if getattr(view, "accepts_picture", False) and request.mimetype == "multipart/form-data":
            request.max_content_length = UPLOAD_REQUEST_BYTES
