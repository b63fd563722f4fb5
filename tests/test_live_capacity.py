"""Live connections leave pages room (SPEC §10.9): sockets and waiting long polls together hold at
most LIVE_CONNECTIONS per web process; the next is refused at once with 503 and Retry-After,
while pages and the API keep answering — on real sockets against gunicorn, and through the long
poll. A LIVE_CONNECTIONS the web line can't give stops the app."""

from __future__ import annotations

import time

import pytest
import requests

from piglist.live import capacity

from .support.sites import ProcfileSite, handshake_status, live_socket, site_family


def test_a_long_poll_past_the_limit_is_refused_at_once_and_the_api_still_answers(app, api, family):
    app.extensions["piglist_live_capacity"] = capacity.Capacity(1)
    held = app.extensions["piglist_live_capacity"]
    held.take()  # a socket, say
    try:
        started = time.monotonic()
        first = api(family.giver).get(f"/groups/{family.group.id}/changes")  # no wait: no slot needed
        cursor = first.get_json()["cursor"]
        waiting = api(family.giver).get(f"/groups/{family.group.id}/changes?since={cursor}&wait=20")
        assert time.monotonic() - started < 5  # refused, not queued (a deadline, not a measurement)
        assert waiting.status_code == 503
        assert waiting.get_json()["error"]["code"] == "unavailable"
        assert 2 <= int(waiting.headers["Retry-After"]) <= 10
        assert api(family.giver).get("/me").status_code == 200
    finally:
        held.give_back()
    cursor = api(family.giver).get(f"/groups/{family.group.id}/changes").get_json()["cursor"]
    assert (
        api(family.giver).get(f"/groups/{family.group.id}/changes?since={cursor}&wait=1").status_code == 200
    )
    assert held.held == 0


def test_the_slot_of_a_refused_or_finished_poll_is_given_back(app, api, family):
    app.extensions["piglist_live_capacity"] = capacity.Capacity(2)
    cursor = api(family.giver).get(f"/groups/{family.group.id}/changes").get_json()["cursor"]
    for _ in range(3):
        assert (
            api(family.giver).get(f"/groups/{family.group.id}/changes?since={cursor}&wait=1").status_code
            == 200
        )
    assert app.extensions["piglist_live_capacity"].held == 0


def test_a_live_limit_above_the_web_connections_stops_the_app(monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("WEB_CONNECTIONS", "10")
    monkeypatch.setenv("LIVE_CONNECTIONS", "11")
    try:
        importlib.reload(config)
        with pytest.raises(config.ConfigError, match="LIVE_CONNECTIONS"):
            config.check_environment()
    finally:
        monkeypatch.delenv("WEB_CONNECTIONS")
        monkeypatch.delenv("LIVE_CONNECTIONS")
        importlib.reload(config)


def test_sockets_past_the_limit_get_503_and_pages_still_answer(tmp_path):
    site = (
        ProcfileSite(tmp_path / "site", env={"WEB_CONCURRENCY": "1", "LIVE_CONNECTIONS": "2"})
        .migrate()
        .start(worker=False, release=False)
    )
    try:
        family = site_family(site)
        path = f"/ws/groups/{family.group_id}?token={family.tokens['other']}&format=json"
        sockets = [
            live_socket(site, family.group_id, family.tokens["other"], format="json") for _ in range(2)
        ]
        started = time.monotonic()
        status, answer = handshake_status(site, path)
        assert status == 503, answer[:300]
        assert b"Retry-After:" in answer
        assert time.monotonic() - started < 5
        me = requests.get(
            f"{site.url}/api/v1/me", headers={"Authorization": f"Bearer {family.tokens['giver']}"}, timeout=10
        )
        assert me.status_code == 200
        sockets.pop().close()
        deadline = time.monotonic() + 10
        while handshake_status(site, path)[0] != 101:
            assert time.monotonic() < deadline, "the closed socket's slot was not given back"
            time.sleep(0.2)
        for ws in sockets:
            ws.close()
    finally:
        site.stop()
