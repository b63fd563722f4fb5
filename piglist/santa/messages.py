"""Anonymous questions: a Santa asks their recipient ("what size?") without giving themselves
away, the recipient answers, and each side gets a mail.

Messages are stored with both ends of the thread (so an answer finds its Santa) and only ever
read back through piglist.santa.secrecy. Writing a message counts as having opened one's
assignment: after it the draw can't be made again, so a thread never changes hands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select

from ..errors import Forbidden, ValidationFailed
from ..extensions import db
from ..live import feed
from ..models import Exchange, ExchangeMessage, ExchangeParticipant, User
from ..rules.values import clean_text
from . import mails
from .errors import NotDrawn
from .exchanges import open_assignment
from .secrecy import present_messages

MAX_BODY = 1000
DIRECTIONS = ("recipient", "santa")


def thread(exchange: Exchange, user: User) -> list[dict[str, Any]]:
    """The caller's two threads, as the secrecy rule lets them read them."""
    messages = db.session.scalars(
        select(ExchangeMessage)
        .where(
            ExchangeMessage.exchange_id == exchange.id,
            or_(ExchangeMessage.santa_id == user.id, ExchangeMessage.recipient_id == user.id),
        )
        .order_by(ExchangeMessage.id)
    )
    return present_messages(messages, user)


def send(exchange: Exchange, user: User, data: Mapping[str, Any]) -> dict[str, Any]:
    """Post ``{to, body}``: ``to`` "recipient" (I ask whom I give to) or "santa" (I answer whoever
    gives to me). Returns the new line as the caller reads it."""
    to = data.get("to")
    if to not in DIRECTIONS:
        raise ValidationFailed('Say whom the message is for: "recipient" or "santa".', "to")
    body = clean_text(data.get("body"), "body", max_length=MAX_BODY)
    if exchange.status != "drawn":
        raise NotDrawn("The names aren't drawn yet: there is nobody to write to.")
    mine = open_assignment(exchange, user)
    if mine is None:
        raise Forbidden("Only the people taking part in this exchange can write in it.")
    if to == "recipient":
        if mine.recipient_id is None:
            raise ValidationFailed("The person you drew has left Piglist; there is nobody to ask.", "to")
        santa_id, recipient_id = user.id, mine.recipient_id
    else:
        my_santa = db.session.scalar(
            select(ExchangeParticipant.user_id).where(
                ExchangeParticipant.exchange_id == exchange.id, ExchangeParticipant.recipient_id == user.id
            )
        )
        if my_santa is None:
            raise ValidationFailed("Your Secret Santa has left Piglist; there is nobody to answer.", "to")
        santa_id, recipient_id = my_santa, user.id
    message = ExchangeMessage(
        exchange_id=exchange.id,
        santa_id=santa_id,
        recipient_id=recipient_id,
        from_santa=to == "recipient",
        body=body,
    )
    db.session.add(message)
    # Live to the reader's sockets and long polls, and to nobody else (piglist.rules.surprise).
    feed.emit_personal(
        exchange.group_id,
        "exchange_message",
        to_user_id=recipient_id if message.from_santa else santa_id,
        exchange_id=exchange.id,
    )
    db.session.commit()
    mails.queue_message_mail(message)
    return present_messages([message], user)[0]
