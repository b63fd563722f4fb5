"""The API's description, ``GET /api/v1/openapi.json``: OpenAPI 3.1, written by hand in
``openapi.yaml`` beside this module (it says what the code means to promise, which a generator
reading the code can't) and kept true by the tests: every API test's answer is validated against
it, a test compares it with Flask's URL map, and a property-based run (schemathesis) looks for
answers it doesn't describe."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from flask import current_app

from .blueprint import bp

DOCUMENT = Path(__file__).with_name("openapi.yaml")


@functools.cache
def openapi_document() -> dict[str, Any]:
    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


@functools.cache
def _document_json() -> str:
    return current_app.json.dumps(openapi_document(), separators=(",", ":"))


@bp.get("/openapi.json")
def openapi():
    response = current_app.response_class(_document_json(), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
