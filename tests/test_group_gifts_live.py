"""Group gifts over real sockets (the Procfile's site on PostgreSQL and Redis): the others' sockets
get the bar as Turbo Streams and the events as JSON; the recipient's socket gets not one byte more
than when nothing happens."""

from __future__ import annotations

import json
import re

import pytest

from .support.sites import about, api, live_socket, receive_until, site_family


@pytest.fixture
def bike(procfile_site):
    family = site_family(procfile_site)
    made = api(
        procfile_site,
        family,
        "owner",
        "POST",
        f"/groups/{family.group_id}/gifts",
        json={"title": "Bike", "price": "40.00"},
    )
    family.bike = made.json()["id"]
    return family


def test_the_others_sockets_see_the_bar_fill(procfile_site, bike):
    family, site = bike, procfile_site
    gran_turbo = live_socket(site, family.group_id, family.tokens["other"])
    gran_json = live_socket(site, family.group_id, family.tokens["other"], format="json")
    gift = f"/gifts/{family.bike}"
    assert api(site, family, "giver", "POST", f"{gift}/group-gift").status_code == 200
    assert api(site, family, "giver", "PUT", f"{gift}/pledge", json={"amount": "10.00"}).status_code == 200
    streamed = receive_until(gran_turbo, lambda m: '<progress max="40.00" value="10.00"' in m)
    assert f'target="gift_{family.bike}"' in streamed[-1]
    assert "Organised by Dad" in streamed[-1]
    events = receive_until(gran_json, lambda m: '"group_gift_changed"' in m and '"pledged"' in m)
    assert json.loads(events[-1])["gift_id"] == family.bike
    for ws in (gran_turbo, gran_json):
        ws.close()


@pytest.mark.parametrize("format", ["turbo", "json"])
def test_the_recipients_socket_receives_nothing_about_chipping_in(procfile_site, bike, format):
    family, site = bike, procfile_site
    marker = family.gift_id  # Tom's kite: his own edits of it mark the start and the end
    owner = live_socket(site, family.group_id, family.tokens["owner"], format=format)
    gran = live_socket(site, family.group_id, family.tokens["other"], format="json")

    def around(hidden_actions) -> list[str]:
        path = f"/gifts/{marker}"
        api(site, family, "owner", "PATCH", path, json={"title": "Kite"})
        receive_until(owner, about(marker))
        hidden_actions()
        api(site, family, "owner", "PATCH", path, json={"title": "Kite"})
        return receive_until(owner, about(marker))

    def chip_in():
        gift = f"/gifts/{family.bike}"
        calls = [
            ("giver", "POST", f"{gift}/group-gift", None),
            ("giver", "PUT", f"{gift}/pledge", {"amount": "30.00"}),
            ("other", "PUT", f"{gift}/pledge", {"amount": "10.00"}),
            ("giver", "POST", f"{gift}/purchase", None),
            ("giver", "DELETE", f"{gift}/purchase", None),
            ("other", "DELETE", f"{gift}/pledge", None),
            ("giver", "DELETE", f"{gift}/group-gift", None),
        ]
        for who, method, path, body in calls:
            assert api(site, family, who, method, path, json=body).status_code == 200, path
        # The others heard all of it, so the recipient's silence is the rule's doing.
        receive_until(gran, lambda m: '"group_gift_changed"' in m and '"cancelled"' in m)

    quiet = around(lambda: None)
    busy = around(chip_in)
    if format == "turbo":
        assert busy == quiet  # byte for byte
    else:  # the same events; only the edit's own time differs
        assert [json.loads(m) | {"at": None} for m in busy] == [json.loads(m) | {"at": None} for m in quiet]
    assert len(busy) == 1
    # Nothing targets, links or names the bike (ids compared whole, not as digits).
    assert not re.search(rf'\bgift_{family.bike}\b|/gifts/{family.bike}\b|"gift_id":{family.bike}\b', busy[0])
    for ws in (owner, gran):
        ws.close()
