"""Secret Santa test helpers: an exchange set up through the API, and pairs put in place directly
so secrecy tests can compare two known draws."""

from __future__ import annotations

from piglist.extensions import db
from piglist.models import Exchange, ExchangeMessage


def new_exchange(admin_api, group, people, **fields) -> dict:
    """An open exchange made by ``admin_api`` with ``people`` (users) taking part."""
    body = {"name": "Christmas", "participant_ids": [p.id for p in people], **fields}
    response = admin_api.post(f"/groups/{group.id}/exchanges", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def pairs_of(exchange_id: int) -> dict[int, int]:
    db.session.expire_all()
    exchange = db.session.get(Exchange, exchange_id)
    return {p.user_id: p.recipient_id for p in exchange.participants}


def set_pairs(exchange_id: int, pairs: dict) -> None:
    """Make ``pairs`` (santa user -> recipient user) the exchange's draw, its messages cleared."""
    db.session.expire_all()
    exchange = db.session.get(Exchange, exchange_id)
    db.session.query(ExchangeMessage).filter_by(exchange_id=exchange_id).delete()
    for participant in exchange.participants:
        participant.recipient_id = None
    db.session.flush()
    by_id = {santa.id: recipient.id for santa, recipient in pairs.items()}
    for participant in exchange.participants:
        participant.recipient_id = by_id[participant.user_id]
    db.session.commit()
