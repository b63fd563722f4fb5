"""Operators' commands."""

import pytest
from sqlalchemy import select

from piglist.extensions import db
from piglist.models import User

from .support.clients import PASSWORD


def test_create_user_prompts_for_the_password(runner):
    result = runner.invoke(
        args=["piglist", "create-user", "gran@example.org", "--name", "Gran"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created user" in result.output
    user = db.session.scalar(select(User).where(User.email == "gran@example.org"))
    assert user.display_name == "Gran"
    assert user.check_password(PASSWORD)


def test_create_user_with_a_weak_password_fails_and_creates_nothing(runner):
    result = runner.invoke(
        args=["piglist", "create-user", "gran@example.org", "--name", "Gran"], input="weak\nweak\n"
    )
    assert result.exit_code != 0
    assert "password needs" in result.output
    assert db.session.scalar(select(User)) is None


def test_demo_creates_a_living_family_once(runner):
    from piglist.models import Gift, Group

    first = runner.invoke(args=["piglist", "demo"])
    assert first.exit_code == 0, first.output
    assert "mum@demo.piglist.example" in first.output and "Piglist-Demo-1" in first.output
    second = runner.invoke(args=["piglist", "demo"])
    assert second.exit_code == 0 and "Found the demo family" in second.output
    assert len(db.session.scalars(select(Group)).all()) == 1
    gifts = db.session.scalars(select(Gift)).all()
    assert len(gifts) == 12
    assert {gift.status for gift in gifts} == {"available", "purchased"}
    assert len(db.session.scalars(select(User)).all()) == 4


def test_demo_if_empty_leaves_a_used_database_alone(runner):
    from . import factories

    factories.make_user()
    result = runner.invoke(args=["piglist", "demo", "--if-empty"])
    assert result.exit_code == 0
    assert "already has users" in result.output
    assert len(db.session.scalars(select(User)).all()) == 1


def test_demo_if_empty_repeats_the_demo_logins_once_the_demo_family_exists(runner):
    runner.invoke(args=["piglist", "demo"])
    result = runner.invoke(args=["piglist", "demo", "--if-empty"])
    assert result.exit_code == 0
    assert "Found the demo family" in result.output
    assert "  mum@demo.piglist.example  Piglist-Demo-1" in result.output
    assert len(db.session.scalars(select(User)).all()) == 4


# --- export-user and erase-user ---------------------------------------------------------------------


def test_export_user_prints_the_same_json_as_the_api(runner, api, family):
    from . import factories

    factories.make_gift(family.owner, family.group, title="Kite")
    through_the_api = api(family.owner).get("/me/export").get_data()
    result = runner.invoke(args=["piglist", "export-user", family.owner.email.upper()])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == through_the_api
    again = runner.invoke(args=["piglist", "export-user", family.owner.email])
    assert again.stdout_bytes == result.stdout_bytes


@pytest.mark.parametrize("command", [["export-user"], ["erase-user", "--yes"]])
def test_an_unknown_user_is_a_one_line_error(runner, family, command):
    result = runner.invoke(args=["piglist", *command, "nobody@example.org"])
    assert result.exit_code == 1
    assert result.output == "Error: No account has the email address 'nobody@example.org'.\n"
    assert len(db.session.scalars(select(User)).all()) == 4


def test_erase_user_asks_first_and_a_no_changes_nothing(runner, family):
    result = runner.invoke(args=["piglist", "erase-user", family.giver.email], input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    assert len(db.session.scalars(select(User)).all()) == 4


def test_erase_user_erases_and_says_what_it_did(runner, family):
    from piglist.models import Gift

    from . import factories

    gift = factories.make_gift(family.owner, family.group)
    factories.make_purchase(gift, family.admin)
    gift_id = gift.id
    result = runner.invoke(args=["piglist", "erase-user", family.admin.email], input="y\n")
    assert result.exit_code == 0, result.output
    assert "1 gift(s) they had bought stay bought, by a former member." in result.output
    assert "Left 'Smith Family' (group 1); Tom is its admin now." in result.output
    db.session.expire_all()
    assert db.session.get(Gift, gift_id).status == "purchased"
    assert len(db.session.scalars(select(User)).all()) == 3
    again = runner.invoke(args=["piglist", "erase-user", "--yes", "mum@example.org"])
    assert again.exit_code == 1 and "No account" in again.output


# --- rescrape ------------------------------------------------------------------------------------------


@pytest.fixture
def scraped(family):
    """Gifts in every scrape state; only the fetched-before ones with links are candidates."""
    from datetime import timedelta

    from piglist.models import utcnow

    from . import factories

    old = utcnow() - timedelta(days=40)
    other = factories.make_group(family.giver, name="Elsewhere")
    return {
        "success": factories.make_gift(family.owner, family.group, scrape_status="success").id,
        "failed": factories.make_gift(
            family.owner, family.group, scrape_status="failed", scrape_error="Timeout"
        ).id,
        "old_failed": factories.make_gift(
            family.giver, family.group, scrape_status="failed", updated_at=old
        ).id,
        "elsewhere": factories.make_gift(family.giver, other, scrape_status="failed").id,
        "manual": factories.make_gift(family.owner, family.group, scrape_status="manual").id,
        "pending": factories.make_gift(family.owner, family.group, scrape_status="pending").id,
        "deleted": factories.make_gift(family.owner, family.group, scrape_status="failed", deleted_at=old).id,
        "no_link": factories.make_gift(family.owner, family.group, scrape_status="failed", url=None).id,
    }


def pending(scraped) -> set[str]:
    from piglist.models import Gift

    db.session.expire_all()
    return {
        name for name, gift_id in scraped.items() if db.session.get(Gift, gift_id).scrape_status == "pending"
    }


def queue_length(app) -> int:
    from piglist.stores.jobs import queue_counts

    return queue_counts()["queued"]


def test_rescrape_failed_queues_the_failed_gifts_once(app, runner, scraped):
    result = runner.invoke(args=["piglist", "rescrape", "--failed"])
    assert result.exit_code == 0, result.output
    assert "Queued 3 of 3 gift(s) for scraping." in result.output
    assert pending(scraped) == {"failed", "old_failed", "elsewhere", "pending"}
    assert queue_length(app) == 3
    again = runner.invoke(args=["piglist", "rescrape", "--failed"])
    assert again.exit_code == 0 and "Queued 0 of 0 gift(s)" in again.output
    assert queue_length(app) == 3


def test_rescrape_without_flags_takes_every_fetched_gift(app, runner, scraped):
    result = runner.invoke(args=["piglist", "rescrape"])
    assert "Queued 4 of 4" in result.output
    assert pending(scraped) == {"success", "failed", "old_failed", "elsewhere", "pending"}


def test_rescrape_older_than_and_group(app, runner, family, scraped):
    result = runner.invoke(
        args=["piglist", "rescrape", "--older-than", "30", "--group", str(family.group.id)]
    )
    assert result.exit_code == 0, result.output
    assert "Queued 1 of 1" in result.output
    assert pending(scraped) == {"old_failed", "pending"}


def test_rescrape_tells_the_others_pages_live(app, runner, api, family, scraped):
    client = api(family.giver)
    cursor = client.get(f"/groups/{family.group.id}/changes").get_json()["cursor"]
    runner.invoke(args=["piglist", "rescrape", "--failed", "--group", str(family.group.id)])
    body = client.get(
        f"/groups/{family.group.id}/changes", query_string={"since": cursor, "wait": 5}
    ).get_json()
    assert {e["gift_id"] for e in body["events"] if e["type"] == "gift_updated"} == {
        scraped["failed"],
        scraped["old_failed"],
    }


@pytest.mark.parametrize(
    "args, message",
    [
        (["--group", "999"], "Error: No group has the id 999."),
        (["--group", "x"], "'x' is not a valid integer"),
        (["--older-than", "-1"], "-1 is not in the range x>=0"),
    ],
)
def test_rescrape_bad_input_is_a_clear_error_and_queues_nothing(app, runner, scraped, args, message):
    result = runner.invoke(args=["piglist", "rescrape", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert pending(scraped) == {"pending"}


# --- stats -------------------------------------------------------------------------------------------------


def test_stats_prints_the_sites_figures(app, runner, scraped):
    from piglist.live.socketcount import SOCKETS_KEY
    from piglist.stores.redis_store import get_redis

    # Two web processes' counts as the live hub keeps them, each with its heartbeat key.
    get_redis().hset(SOCKETS_KEY, mapping={"web-1": 3, "web-2": 4})
    for name in ("web-1", "web-2"):
        get_redis().set(f"{SOCKETS_KEY}:alive:{name}", 1, ex=60)
    runner.invoke(args=["piglist", "rescrape", "--failed"])
    result = runner.invoke(args=["piglist", "stats"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Users: 4",
        "Groups: 2",
        "Gifts: 7 (4 pending, 1 success, 1 failed, 1 manual)",
        "Lists: 5 (5 member, 0 shared, 0 dependant)",
        "Ideas: 0",
        "Occasions: 0 (0 upcoming, 0 past; 0 lists revealed, 0 reminders sent)",
        "Secret Santa exchanges: 0 (0 open, 0 drawn)",
        "Open group gifts: 0",
        "Job queue: 3 waiting, 0 failed in the last hour",
        "Live sockets: 7",
        "Renders: off (SCRAPER_RENDER=off); 0 rendered, 0 failed, 0 requests blocked",
    ]
    assert runner.invoke(args=["piglist", "stats"]).output == result.output


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_stats_without_redis(runner):
    result = runner.invoke(args=["piglist", "stats"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Users: 0",
        "Groups: 0",
        "Gifts: 0 (0 pending, 0 success, 0 failed, 0 manual)",
        "Lists: 0 (0 member, 0 shared, 0 dependant)",
        "Ideas: 0",
        "Occasions: 0 (0 upcoming, 0 past; 0 lists revealed, 0 reminders sent)",
        "Secret Santa exchanges: 0 (0 open, 0 drawn)",
        "Open group gifts: 0",
        "Job queue: none shared (no REDIS_URL: each process runs its own jobs)",
        "Live sockets: 0",
        "Renders: off (SCRAPER_RENDER=off); 0 rendered, 0 failed, 0 requests blocked",
    ]
