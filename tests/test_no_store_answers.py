"""Answers that differ per person are never kept by a cache: every answer is ``no-store`` unless
its view says otherwise (issue 22 finding 15: the JSON export and /health had no Cache-Control)."""

from __future__ import annotations

import pytest

from .support.clients import member_client


@pytest.mark.parametrize("path", ["/profile/export", "/health", "/api/v1/me", "/profile"])
def test_personal_answers_are_no_store(app, family, path):
    response = member_client(app, family.owner).get(path)
    assert response.status_code == 200, path
    assert response.headers["Cache-Control"] == "no-store"


def test_health_is_no_store_for_anyone(client):
    assert client.get("/health").headers["Cache-Control"] == "no-store"


def test_what_may_be_cached_still_says_so(client):
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")
    assert client.get("/manifest.webmanifest").headers["Cache-Control"] == "public, max-age=3600"
