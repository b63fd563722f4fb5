"""Where pictures are kept: a row per picture in the database, its bytes in the row, or in the
directory IMAGE_STORE names (the row then keeps only the content type and size). Keys are the
hash of the re-encoded bytes, so a picture is written once however many gifts show it."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Picture
from .encoding import Encoded

PREFIX = "/images/"
KEY = re.compile(r"[0-9a-f]{64}")


def picture_url(key: str) -> str:
    return PREFIX + key


def key_of(url: str | None) -> str | None:
    """The key of one of Piglist's own picture URLs; None for anything else."""
    if url and url.startswith(PREFIX) and KEY.fullmatch(url[len(PREFIX) :]):
        return url[len(PREFIX) :]
    return None


def _directory() -> Path | None:
    configured = current_app.config.get("IMAGE_STORE")
    return Path(configured) if configured else None


def save(encoded: Encoded) -> str:
    """Keep the picture (in the current transaction) and return its URL."""
    key = encoded.key
    if db.session.get(Picture, key) is None:
        directory = _directory()
        if directory is not None:
            _write_file(directory, key, encoded.data)
        try:
            with db.session.begin_nested():
                db.session.add(
                    Picture(
                        key=key,
                        content_type=encoded.content_type,
                        size=len(encoded.data),
                        data=None if directory is not None else encoded.data,
                    )
                )
        except IntegrityError:
            pass  # the same picture, stored a moment ago by another request
    return picture_url(key)


def _write_file(directory: Path, key: str, data: bytes) -> None:
    # Written aside and renamed, so a reader never sees half a picture.
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".incoming-")
    with os.fdopen(handle, "wb") as file:
        file.write(data)
    os.replace(temporary, directory / key)


def load(key: str) -> tuple[bytes, str] | None:
    """The picture's bytes and content type, or None."""
    if not KEY.fullmatch(key):
        return None
    picture = db.session.get(Picture, key)
    if picture is None:
        return None
    if picture.data is not None:
        return picture.data, picture.content_type
    directory = _directory()
    path = directory / key if directory is not None else None
    if path is None or not path.is_file():
        return None
    return path.read_bytes(), picture.content_type
