"""Issue 22, finding 12: a Turbo Stream tile is rendered for its audience. On a quantity gift
bought by Dad, Gran and Mum, each buyer's socket says "you" for their own part, and nobody's
wording reaches another's socket (Lily's socket got "you (1), Lily (1) and Tom (1)", Dad's
rendering). One gevent web process, so every socket shares its rendering cache."""

from __future__ import annotations

import re

import requests

from piglist.extensions import db
from piglist.models import Gift

from .support.sites import live_socket, receive_until, site_family


def buy(site, family, who: str, gift_id: int) -> None:
    response = requests.post(
        f"{site.url}/api/v1/gifts/{gift_id}/purchase",
        headers={"Authorization": f"Bearer {family.tokens[who]}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text


def bought_line(message: str) -> str:
    """The tile's "Bought by …" line, tags dropped."""
    match = re.search(r'class="gift-buyers">(.*?)</p>', message, re.S)
    assert match, message
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(1))).strip()


def test_each_buyers_socket_gets_its_own_wording(one_process_site):
    site = one_process_site
    family = site_family(site)
    app = site.app()
    with app.app_context():
        db.session.get(Gift, family.gift_id).quantity = 5
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    buy(site, family, "giver", family.gift_id)
    buy(site, family, "other", family.gift_id)
    sockets = {
        who: live_socket(site, family.group_id, family.tokens[who]) for who in ("giver", "other", "admin")
    }
    try:
        buy(site, family, "admin", family.gift_id)
        target = f'target="gift_{family.gift_id}"'
        lines = {
            who: bought_line(receive_until(ws, lambda m: target in m)[-1]) for who, ws in sockets.items()
        }
    finally:
        for ws in sockets.values():
            ws.close()
    assert lines == {
        "giver": "Bought by you (1), Gran (1) and Mum (1)",
        "other": "Bought by Dad (1), you (1) and Mum (1)",
        "admin": "Bought by Dad (1), Gran (1) and you (1)",
    }
