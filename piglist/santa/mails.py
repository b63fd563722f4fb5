"""The Secret Santa mails: "the names are drawn" to each participant, and one for each new
anonymous message to whoever it is for.

Neither ever names a Santa to their recipient: the draw mail names nobody at all (reading it
doesn't open the assignment, so the draw can still be made again), and a question reaches its
recipient as "Your Secret Santa asks", from the site's own address. Jobs take ids and read the
rows again, so a mail for an exchange deleted meanwhile is simply not sent.
"""

from __future__ import annotations

from piglist.stores import jobs, mail

from ..extensions import db
from ..models import Exchange, ExchangeMessage, ExchangeParticipant, User


def queue_draw_mails(exchange: Exchange) -> None:
    base_url = mail.site_url()
    for participant in exchange.participants:
        mail.queue(send_draw_mail, exchange.id, participant.user_id, base_url)


def queue_message_mail(message: ExchangeMessage) -> None:
    mail.queue(send_message_mail, message.id, mail.site_url())


@jobs.job
def send_draw_mail(exchange_id: int, user_id: int, base_url: str) -> None:
    exchange = db.session.get(Exchange, exchange_id)
    user = db.session.get(User, user_id)
    if (
        exchange is None
        or user is None
        or db.session.get(ExchangeParticipant, (exchange_id, user_id)) is None
    ):
        return
    message = mail.compose(
        "santa_drawn",
        to=user.email,
        subject=f"Secret Santa: the names are drawn for {exchange.name}",
        base_url=base_url,
        user=user,
        exchange=exchange,
        group=exchange.group,
        exchange_url=mail.link(
            base_url, "santa.exchange", group_id=exchange.group_id, exchange_id=exchange.id
        ),
    )
    mail.deliver(message)


@jobs.job
def send_message_mail(message_id: int, base_url: str) -> None:
    line = db.session.get(ExchangeMessage, message_id)
    if line is None:
        return
    reader = db.session.get(User, line.recipient_id if line.from_santa else line.santa_id)
    writer = db.session.get(User, line.santa_id if line.from_santa else line.recipient_id)
    if reader is None or writer is None:
        return
    exchange = db.session.get_one(Exchange, line.exchange_id)  # its lines go with it
    if line.from_santa:
        subject = f"Secret Santa: your Santa asks you something ({exchange.name})"
    else:
        subject = f"Secret Santa: {writer.display_name} answers ({exchange.name})"
    message = mail.compose(
        "santa_message",
        to=reader.email,
        subject=subject,
        base_url=base_url,
        reader=reader,
        # The recipient's name is no secret to their Santa; the Santa's never appears.
        answerer=None if line.from_santa else writer,
        body=line.body,
        exchange=exchange,
        exchange_url=mail.link(
            base_url,
            "santa.exchange",
            anchor="questions",
            group_id=exchange.group_id,
            exchange_id=exchange.id,
        ),
    )
    mail.deliver(message)
