"""A new Secret Santa message reaches its reader live (long poll here; the socket reads the same
feed through the same rule), and nobody else: not the writer, not the other participants, not
the admin; their feeds don't even move."""

from __future__ import annotations

from .support.apps import both_backends
from .support.clients import cursor_of
from .support.santa import new_exchange, set_pairs


def changes(client, group_id: int, cursor: str) -> dict:
    response = client.get(f"/groups/{group_id}/changes?since={cursor}&wait=0")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@both_backends
def test_a_question_reaches_its_recipient_live_and_nobody_else(app, api, family):
    mum, tom, dad, gran = family.admin, family.owner, family.giver, family.other
    made = new_exchange(api(mum), family.group, [mum, tom, dad, gran])
    api(mum).post(f"/exchanges/{made['id']}/draw")
    set_pairs(made["id"], {dad: tom, tom: gran, gran: mum, mum: dad})
    gid = family.group.id
    clients = {person.display_name: api(person) for person in (mum, tom, dad, gran)}
    cursors = {name: cursor_of(client, gid) for name, client in clients.items()}

    clients["Dad"].post(f"/exchanges/{made['id']}/messages", json={"to": "recipient", "body": "Size?"})
    got = changes(clients["Tom"], gid, cursors["Tom"])
    assert got["events"] == [{"type": "exchange_message", "group_id": gid, "exchange_id": made["id"]}]
    for name in ("Mum", "Dad", "Gran"):
        assert changes(clients[name], gid, cursors[name]) == {"cursor": cursors[name], "events": []}

    # Tom's answer reaches Dad alone, named by nothing but the exchange.
    cursors["Tom"] = got["cursor"]
    clients["Tom"].post(f"/exchanges/{made['id']}/messages", json={"to": "santa", "body": "M"})
    assert changes(clients["Dad"], gid, cursors["Dad"])["events"] == [
        {"type": "exchange_message", "group_id": gid, "exchange_id": made["id"]}
    ]
    for name in ("Mum", "Tom", "Gran"):
        assert changes(clients[name], gid, cursors[name]) == {"cursor": cursors[name], "events": []}
