"""How the site's bytes travel: responses compressed, static files fingerprinted and kept for a year.

Issue 27: the all-lists page went out as 263 KB of uncompressed HTML, and every view re-checked
every stylesheet and script (``Cache-Control: no-cache``): a phone's first load was 520 KB.

- Pages, JSON, scripts and styles are compressed with Flask-Compress when the browser accepts it
  (a page asked for from another site excepted: :class:`Compression`, BREACH):
  brotli at quality 4, else gzip at level 6 (the figures are in the commit that chose them). Never a
  stream (a long poll's or an export's bytes would wait in the compressor) and never a WebSocket
  upgrade (no body). Pictures are already compressed: their types are not in the list.
- Static files are fingerprinted and precompressed by Flask-Static-Digest (``flask digest compile``:
  ``css/app-<md5>.css`` with ``.br`` and ``.gz`` beside it, listed in ``static/cache_manifest.json``),
  which gunicorn's start and ``make run`` run (:func:`build_static_files`); the generated files
  are not committed. Pictures get no compressed copy. Templates name static files with ``static_url_for``, which reads that manifest.
- WhiteNoise answers ``/static/`` before Flask: the precompressed copy the browser accepts, and for a
  fingerprinted name ``Cache-Control: public, max-age=31536000, immutable``: a new version is a new
  name, so a browser never asks again. Unfingerprinted names (without a manifest, as in the tests)
  are revalidated each time.
- Scripts import each other by their plain names (``import "./live.js"``); :func:`import_map` maps
  those addresses to the fingerprinted ones, so a module's imports are cached like the module.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

from flask import Flask, current_app, request
from flask_compress import Compress
from flask_static_digest import FlaskStaticDigest
from markupsafe import Markup
from whitenoise import WhiteNoise

from .security import NOTHING_POLICY


class Compression(Compress):
    """Flask-Compress, but a page asked for from another site goes out uncompressed.

    BREACH: a page that holds a secret (the session's CSRF token) and echoes something of the
    request (the share page's ``url``, the log-in page's ``next``) leaks the secret a few bits at a
    time through its compressed length, to someone who can make the victim's browser ask for it
    thousands of times and watch the encrypted traffic's sizes. Those requests come from another
    site, and browsers say so (``Sec-Fetch-Site: cross-site``); the session cookie (SameSite=Lax)
    still rides on top-level navigations. So no page is compressed for a cross-site request: a
    link followed from a mail or another site costs some kilobytes more, once."""

    def after_request(self, response):
        if response.mimetype == "text/html":
            response.vary.add("Sec-Fetch-Site")
            if request.headers.get("Sec-Fetch-Site") == "cross-site":
                response.vary.add("Accept-Encoding")
                return response
        return super().after_request(response)


compress = Compression()
static_digest = FlaskStaticDigest()

# What Flask-Static-Digest names a file: ``name-<32 hex digits of md5>.ext``.
FINGERPRINTED = re.compile(r"-[0-9a-f]{32}\.[A-Za-z0-9]+$")
YEAR = 365 * 24 * 60 * 60
ALREADY_COMPRESSED = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".ico", ".woff", ".woff2"}

COMPRESSED_TYPES = [
    "text/html",
    "text/css",
    "text/plain",
    "text/calendar",
    "text/csv",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/problem+json",
    "application/manifest+json",
    "text/vnd.turbo-stream.html",
    "image/svg+xml",
]


class StaticFiles(WhiteNoise):
    """WhiteNoise with a year for fingerprinted files (its own default is ten; RFC 9111 caches
    need no more than a year), and the unfingerprinted revalidated on each use."""

    FOREVER = YEAR


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)
    app.config.setdefault("COMPRESS_LEVEL", 6)
    # A streamed body is sent as it is made (exports, the long poll's wait): not held back to compress.
    app.config.setdefault("COMPRESS_STREAMS", False)
    app.config.setdefault("FLASK_STATIC_DIGEST_COMPRESSION", ["gzip", "brotli"])
    compress.init_app(app)
    static_digest.init_app(app)
    app.jinja_env.globals["import_map"] = import_map

    static = Path(app.static_folder or "")
    files = StaticFiles(
        app.wsgi_app,
        root=str(static),
        prefix=(app.static_url_path or "/static").strip("/") + "/",
        max_age=0,
        immutable_file_test=lambda path, url: bool(FINGERPRINTED.search(url)),
        add_headers_function=file_headers,
    )
    # WhiteNoise finds the files (and their .br/.gz) once, here: the manifest must be built first.
    app.wsgi_app = files  # type: ignore[method-assign]


def file_headers(headers, path: str, url: str) -> None:
    """What piglist.web.security gives every answer that is not a page: a file runs and loads nothing."""
    headers["Content-Security-Policy"] = NOTHING_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"


def manifest() -> dict[str, str]:
    """Plain name → fingerprinted name, as ``flask digest compile`` wrote them (empty before)."""
    return static_digest.manifests.get("static", {})


def import_map(nonce: str) -> Markup:
    """A ``<script type="importmap">`` sending each script's plain address to its fingerprinted one
    (nothing before the digest is built). Turbo compares head scripts without their nonce, so it
    stays the one map across visits."""
    prefix = (current_app.static_url_path or "/static").rstrip("/") + "/"
    imports = {
        prefix + plain: prefix + digested
        for plain, digested in sorted(manifest().items())
        if plain.endswith(".js") and plain != "js/service-worker.js"
    }
    if not imports:
        return Markup("")
    body = current_app.json.dumps({"imports": imports}, separators=(",", ":"))
    # JSON from our own file names; "</" can't occur in them but is escaped all the same.
    body = body.replace("</", "<\\/")
    return Markup(f'<script type="importmap" nonce="{nonce}">{body}</script>')  # noqa: S704


def build_static_files(static: Path | None = None) -> None:
    """``flask digest clean`` then ``compile``, without an app (gunicorn's arbiter has none): the
    copies of files changed since the last build go, the manifest is written anew.

    Several starts may share one checkout (``make run`` beside a gunicorn, the tests' sites): the
    build holds a lock, and a build that is already current is left alone, since cleaning it would
    pull files from under a site that is serving them (CI saw one start's clean delete the ``.br``
    another start's compile was copying)."""
    from flask_static_digest import digester

    folder = static or Path(__file__).resolve().parents[2] / "static"
    with _build_lock(folder):
        if _built(folder):
            return
        with contextlib.redirect_stdout(io.StringIO()):  # its "Check your files at …" lines
            digester.clean(f"{folder}/", [], gzip_files=True, brotli_files=True)
            digester.compile(f"{folder}/", f"{folder}/", [], gzip_files=True, brotli_files=True)
        # It compresses every file; a picture is compressed already (a .br of a PNG saves 5 % and
        # costs the browser a decompression), so WhiteNoise must find none to serve.
        for packed in [*folder.rglob("*.br"), *folder.rglob("*.gz")]:
            if packed.with_suffix("").suffix.lower() in ALREADY_COMPRESSED:
                packed.unlink()


@contextlib.contextmanager
def _build_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock on a file beside the folder (WhiteNoise would serve one inside it; one in
    a shared temp folder could belong to another user), ``.static-build.lock`` for the site's."""
    path = folder.resolve().parent / f".{folder.name}-build.lock"
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _built(folder: Path) -> bool:
    """Whether the manifest names every source file as it is now, and each copy is there."""
    from flask_static_digest import digester

    try:
        listed = json.loads((folder / "cache_manifest.json").read_text())
    except (OSError, ValueError):
        return False
    sources = set(digester._filter_files(f"{folder}/", []))  # its idea of a source (listed twice, some)
    if len(sources) != len(listed):
        return False
    for source in map(Path, sources):
        plain = source.relative_to(folder).as_posix()
        digest = hashlib.md5(source.read_bytes()).hexdigest()  # noqa: S324 - its naming, not a secret
        stem, extension = os.path.splitext(plain)
        expected = f"{stem}-{digest}{extension}"
        if listed.get(plain) != expected or not (folder / expected).is_file():
            return False
    return True
