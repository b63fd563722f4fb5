"""Occasion reminders through a real SMTP server: 21 and 7 days before, one mail per member and
occasion listing the lists they aren't a recipient of with what is still available, never twice
(not even from two runs at once), never to whoever turned them off, and never a word to a
recipient about their own list. Days count in the occasion's time zone, across the date line."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from piglist.extensions import db
from piglist.models import SentReminder
from piglist.occasions import reminders, service
from piglist.occasions.reminders import queue_due_reminders

from . import factories
from .support.apps import both_backends
from .support.jobs import run_jobs
from .support.occasions import list_of, make_occasion

PUBLIC = "https://piglist.example/"


@pytest.fixture
def christmas(app, family):
    app.config["PUBLIC_URL"] = PUBLIC
    return make_occasion(family.group, "Christmas", days_from_now=40)


def remind(app, on: date) -> int:
    queued = queue_due_reminders(on)
    run_jobs(app)
    return queued


def before(occasion, days: int) -> date:
    return occasion.date - timedelta(days=days)


def sent() -> int:
    return db.session.scalar(select(func.count()).select_from(SentReminder))


@both_backends
def test_each_member_gets_one_mail_listing_the_others_lists(app, family, christmas, mailbox):
    tom = family.owner
    kite = factories.make_gift(tom, family.group, title="Kite")
    factories.make_gift(tom, family.group, title="Book")
    factories.make_gift(tom, family.group, title="Gone").deleted_at = datetime.now(UTC)
    db.session.commit()
    factories.make_gift(family.other, family.group, title="Scarf")
    factories.make_purchase(kite, family.giver)
    assert remind(app, before(christmas, 21)) == 4
    people = (family.admin, family.owner, family.giver, family.other)
    assert sorted(r for rs, _ in mailbox.messages for r in rs) == sorted(p.email for p in people)
    [message] = mailbox.to(family.giver.email)
    assert message["Subject"] == "Christmas is in 21 days"
    text = mailbox.text(message)
    assert "Tom's list: 1 gift still available" in text
    assert "Gran's list: 1 gift still available" in text
    assert "Mum's list: 0 gifts still available" in text
    assert "Dad's list" not in text  # the reader's own
    assert f"{PUBLIC}groups/{family.group.id}/piglists/{tom.id}" in text
    assert f'href="{PUBLIC}groups/{family.group.id}/piglists/{tom.id}"' in mailbox.html(message)
    assert f"{PUBLIC}profile#email" in text


@both_backends
def test_the_second_stage_comes_a_week_before_and_neither_comes_twice(app, family, christmas, mailbox):
    schedule = {22: 0, 21: 4, 20: 0, 19: 0, 8: 0, 7: 4, 6: 0, 1: 0, 0: 0}
    for days, expected in schedule.items():
        assert remind(app, before(christmas, days)) == expected, days
    assert len(mailbox.messages) == 8
    assert sent() == 8
    subjects = sorted(m["Subject"] for m in mailbox.to(family.giver.email))
    assert subjects == ["Christmas is in 21 days", "Christmas is in 7 days"]


def test_a_day_missed_while_no_worker_ran_is_caught_up_once(app, family, christmas, mailbox):
    assert remind(app, before(christmas, 19)) == 4
    assert remind(app, before(christmas, 18)) == 0
    assert mailbox.to(family.giver.email)[0]["Subject"] == "Christmas is in 19 days"


def test_nothing_goes_to_someone_who_turned_reminders_off(app, api, family, christmas, mailbox):
    assert api(family.giver).patch("/me", json={"reminders": False}).status_code == 200
    assert remind(app, before(christmas, 21)) == 3
    assert mailbox.to(family.giver.email) == []


def test_turning_reminders_off_after_the_mail_was_queued_still_stops_it(app, family, christmas, mailbox):
    assert queue_due_reminders(before(christmas, 21)) == 4
    family.giver.reminders = False
    db.session.commit()
    run_jobs(app)
    assert mailbox.to(family.giver.email) == []
    assert len(mailbox.messages) == 3


def test_a_birthday_reminds_everyone_but_its_recipient(app, family, mailbox):
    app.config["PUBLIC_URL"] = PUBLIC
    tom = list_of(family.group, family.owner)
    birthday = make_occasion(family.group, "Tom's birthday", days_from_now=30, lists=[tom])
    factories.make_gift(family.owner, family.group, title="Kite")
    assert remind(app, before(birthday, 7)) == 3
    assert mailbox.to(family.owner.email) == []
    for person in (family.admin, family.giver, family.other):
        [message] = mailbox.to(person.email)
        text = mailbox.text(message)
        assert "Tom's list: 1 gift still available" in text
        assert "Gran's list" not in text and "Mum's list" not in text


def volatile_free(message) -> tuple[str, str, str]:
    return message["Subject"], reminders_text(message), reminders_html(message)


def reminders_text(message) -> str:
    return message.get_body(("plain",)).get_content()


def reminders_html(message) -> str:
    return message.get_body(("html",)).get_content()


def test_a_recipients_mail_is_byte_for_byte_the_same_whatever_was_bought(app, family, christmas, mailbox):
    kite = factories.make_gift(family.owner, family.group, title="Kite", quantity=2)
    book = factories.make_gift(family.owner, family.group, title="Book")
    factories.make_gift(family.giver, family.group, title="Drill")
    remind(app, before(christmas, 21))
    [untouched] = mailbox.to(family.owner.email)
    [giver_before] = mailbox.to(family.giver.email)

    factories.make_purchase(kite, family.giver, quantity=2)
    factories.make_purchase(book, family.other)
    db.session.execute(delete(SentReminder))
    db.session.commit()
    mailbox.messages.clear()
    remind(app, before(christmas, 21))
    [after] = mailbox.to(family.owner.email)
    assert volatile_free(after) == volatile_free(untouched)
    assert after.as_bytes().count(b"Tom") == untouched.as_bytes().count(b"Tom")
    assert "Tom's list" not in reminders_text(after)
    # The others' counts did move: the purchases were seen where they may be.
    [giver_after] = mailbox.to(family.giver.email)
    assert "Tom's list: 2 gifts still available" in reminders_text(giver_before)
    assert "Tom's list: 0 gifts still available" in reminders_text(giver_after)


def test_two_runs_at_once_send_each_reminder_once(app, family, christmas, mailbox):
    for n in range(6):
        factories.add_member(family.group, factories.make_user(display_name=f"Cousin {n}"))
    on = before(christmas, 7)
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def run() -> None:
        with app.app_context():
            barrier.wait()
            counts.append(queue_due_reminders(on))
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    run_jobs(app)
    assert sum(counts) == 10
    assert sent() == 10
    recipients = [r for rs, _ in mailbox.messages for r in rs]
    assert len(recipients) == len(set(recipients)) == 10


def at(monkeypatch, moment: datetime) -> None:
    """Make ``moment`` (UTC) the time the occasions' rules read."""
    monkeypatch.setattr(service, "utcnow", lambda: moment)
    monkeypatch.setattr(reminders, "utcnow", lambda: moment)


@pytest.mark.parametrize(
    ("time_zone", "due_from"),
    [
        # 4 December begins at 11:00 UTC on the 3rd in Auckland (UTC+13 in summer) …
        ("Pacific/Auckland", datetime(2026, 12, 3, 11, 0, tzinfo=UTC)),
        # … and at 10:00 UTC on the 3rd on Kiritimati (UTC+14), the first place on Earth …
        ("Pacific/Kiritimati", datetime(2026, 12, 3, 10, 0, tzinfo=UTC)),
        # … and at 11:00 UTC on the 4th in Pago Pago (UTC-11), across the date line.
        ("Pacific/Pago_Pago", datetime(2026, 12, 4, 11, 0, tzinfo=UTC)),
        ("UTC", datetime(2026, 12, 4, 0, 0, tzinfo=UTC)),
    ],
)
def test_reminders_fall_due_on_the_day_in_the_occasions_time_zone(
    app, family, mailbox, monkeypatch, time_zone, due_from
):
    make_occasion(family.group, "Christmas", date(2026, 12, 25), time_zone=time_zone)
    at(monkeypatch, due_from - timedelta(minutes=1))
    assert remind(app, None) == 0
    at(monkeypatch, due_from)
    assert remind(app, None) == 4
    assert {m["Subject"] for _, m in mailbox.messages} == {"Christmas is in 21 days"}


def test_the_cli_sends_what_is_due_on_the_day_it_is_told(app, runner, family, christmas, mailbox):
    day = before(christmas, 21).isoformat()
    result = runner.invoke(args=["piglist", "remind", "--today", day])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Queued 4 reminder mails."
    run_jobs(app)
    assert len(mailbox.messages) == 4
    again = runner.invoke(args=["piglist", "remind", "--today", day])
    assert again.output.strip() == "Queued 0 reminder mails."


@pytest.mark.parametrize("day", ["2026-13-01", "tomorrow", "25/12/2026", ""])
def test_the_cli_refuses_a_day_that_isnt_one(app, runner, family, christmas, mailbox, day):
    result = runner.invoke(args=["piglist", "remind", "--today", day])
    assert result.exit_code != 0
    assert re.search(r"Invalid value for '--today'", result.output)
    assert sent() == 0


def test_housekeeping_reminds_hourly_without_being_told_the_day(app, family, mailbox, monkeypatch):
    from piglist.ops import housekeeping

    make_occasion(family.group, "Christmas", days_from_now=7)
    housekeeping.run_once(requeue=False, remind=True)
    run_jobs(app)
    assert len(mailbox.messages) == 4
    housekeeping.run_once(requeue=False, remind=True)
    run_jobs(app)
    assert len(mailbox.messages) == 4
