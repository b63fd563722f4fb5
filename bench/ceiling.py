"""The ceiling for ``make bench-web``: a bare Flask app that answers each path with the bytes the
site sent for it (body as sent, compressed or not, and its Content-Type and Content-Encoding),
read once from ``CEILING_FILE`` at start, served by the Procfile's gunicorn line
(``bench.ceiling:app``). No database, no session, no template: what gunicorn, gevent and Flask
alone cost for the same answer. Not part of the app."""

from __future__ import annotations

import base64
import json
import os

from flask import Flask, Response, abort

app = Flask(__name__)
_ANSWERS = {
    path: (base64.b64decode(answer["body"]), answer["headers"])
    for path, answer in json.loads(open(os.environ["CEILING_FILE"]).read()).items()  # noqa: SIM115
}


@app.get("/<path:path>")
def replay(path: str):
    found = _ANSWERS.get("/" + path)
    if found is None:
        abort(404)
    body, headers = found
    return Response(body, headers=headers)


@app.get("/health")
def health():
    return {"database": "ok"}
