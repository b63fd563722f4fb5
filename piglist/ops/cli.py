"""Operators' commands: ``flask piglist …``. Each calls the same functions the pages and the API
call, prints what it did, and exits non-zero with a one-line message on bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import NoReturn

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from redis.exceptions import RedisError

from piglist.auth import accounts, erase, export
from piglist.errors import PiglistError
from piglist.extensions import db
from piglist.gifts.pictures import queue_pending_pictures
from piglist.models import Group, User
from piglist.ops.stats import site_stats
from piglist.scraping.gifts import rescrape_candidates, rescrape_gift

piglist_cli = AppGroup("piglist", help="Piglist operators' commands.")


def fail(message: str) -> NoReturn:
    raise click.ClickException(message)


def account(email: str) -> User:
    user = accounts.find_user_by_email(email)
    if user is None:
        fail(f"No account has the email address {email!r}.")
    return user


@piglist_cli.command("create-user")
@click.argument("email")
@click.option("--name", required=True, help="Display name, e.g. 'Mum'.")
@click.password_option(help="Prompted for when not given.")
def create_user(email: str, name: str, password: str) -> None:
    """Create an account."""
    try:
        user = accounts.register(email, password, name)
    except PiglistError as exc:
        fail(exc.message)
    click.echo(f"Created user {user.id}: {user.display_name} <{user.email}>")


@piglist_cli.command("demo")
@click.option(
    "--if-empty", is_flag=True, help="Only when the database has no users yet (make run uses this)."
)
def demo(if_empty: bool) -> None:
    """Create the demo family (4 people, 3 categories, a dozen gifts) and print the logins."""
    from piglist.ops.demo import find_demo, has_users, seed_demo

    # make run says this on every start, so the logins are at hand on a restart too.
    result = find_demo() if if_empty and has_users() else seed_demo()
    if result is None:
        click.echo("The database already has users; no demo family added.")
        return
    verb = "Created" if result.created else "Found"
    click.echo(f"{verb} the demo family {result.group.name!r} (group {result.group.id}). Log in as:")
    for email, password in result.logins:
        click.echo(f"  {email}  {password}")


@piglist_cli.command("sweep-presence")
def sweep_presence() -> None:
    """Forget viewers silent for longer than the presence TTL, and tell the others they left."""
    from redis.exceptions import RedisError

    from piglist.live.viewing import sweep_presence as sweep

    try:
        removed = sweep()
    except RedisError as exc:
        fail(f"Redis is unreachable: {exc}")
    click.echo(f"Removed {removed} stale presence entr{'y' if removed == 1 else 'ies'}.")


@piglist_cli.command("remind")
@click.option(
    "--today",
    "today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Act as if it were this day (YYYY-MM-DD) for every occasion, rather than each one's own today.",
)
def remind(today) -> None:
    """Send the occasion reminders that are due (21 and 7 days before); never one twice."""
    from piglist.occasions.reminders import queue_due_reminders

    try:
        queued = queue_due_reminders(today.date() if today else None)
    except RedisError as exc:
        fail(f"The job queue is unreachable: {exc}")
    click.echo(f"Queued {queued} reminder mail{'' if queued == 1 else 's'}.")


@piglist_cli.command("fx-rates")
@click.option("--url", help="Fetch from this address rather than FX_RATES_URL.")
def fx_rates(url) -> None:
    """Fetch the ECB's reference exchange rates now and store them; print their date."""
    from piglist.stores import fx

    source = url or current_app.config["FX_RATES_URL"]
    if not source:
        fail("FX_RATES_URL is empty: set it (or pass --url) to fetch exchange rates.")
    try:
        rates = fx.refresh(source)
    except fx.RatesUnavailable as exc:
        fail(f"No exchange rates stored: {exc}")
    click.echo(f"Stored {len(rates.per_euro)} exchange rates of {rates.day} (per euro).")


@piglist_cli.command("export-user")
@click.argument("email")
def export_user(email: str) -> None:
    """Print everything stored about a person, as JSON (what their "Export my data" gives)."""
    click.echo(export.export_json(account(email)), nl=False)


@piglist_cli.command("erase-user")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Don't ask for confirmation.")
def erase_user(email: str, yes: bool) -> None:
    """Erase an account, its tokens, sessions and piglists (what "Delete my account" does)."""
    user = account(email)
    if not yes:
        click.confirm(
            f"Erase {user.display_name} <{user.email}> and all their piglists for good?", abort=True
        )
    erased = erase.erase_user(user)
    click.echo(f"Erased {erased.email}: account, tokens, sessions and piglists.")
    click.echo(f"  {erased.kept} gift(s) they had bought stay bought, by a former member.")
    for line in erased.groups:
        click.echo(f"  {line[0].upper()}{line[1:]}.")


@piglist_cli.command("rescrape")
@click.option("--failed", "failed_only", is_flag=True, help="Only gifts whose last fetch failed.")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=0),
    help="Only gifts not fetched or changed for DAYS days.",
    metavar="DAYS",
)
@click.option("--group", "group_id", type=int, help="Only the gifts of this group (its id).")
@click.option(
    "--images",
    is_flag=True,
    help="Instead of pages, fetch the pictures still held as links (gifts from before pictures "
    "were Piglist's own, and picture fetches that failed).",
)
def rescrape(failed_only: bool, days: int | None, group_id: int | None, images: bool) -> None:
    """Fetch gifts' pages again (those fetched before; hand-typed gifts are left alone)."""
    if group_id is not None and db.session.get(Group, group_id) is None:
        fail(f"No group has the id {group_id}.")
    if images:
        if failed_only or days is not None:
            fail("--images goes alone (or with --group): it fetches every picture still held as a link.")
        rescrape_pictures(group_id)
        return
    gift_ids = rescrape_candidates(
        failed_only=failed_only,
        older_than=timedelta(days=days) if days is not None else None,
        group_id=group_id,
    )
    queued = 0
    try:
        with click.progressbar(gift_ids, label="Queueing scrapes") as bar:
            for gift_id in bar:
                queued += rescrape_gift(gift_id)
    except RedisError as exc:
        fail(f"The job queue is unreachable ({exc}); {queued} of {len(gift_ids)} queued.")
    click.echo(f"Queued {queued} of {len(gift_ids)} gift(s) for scraping", nl=False)
    skipped = len(gift_ids) - queued
    click.echo(f"; {skipped} changed meanwhile and were left alone." if skipped else ".")


def rescrape_pictures(group_id: int | None) -> None:
    try:
        count = queue_pending_pictures(group_id)
    except RedisError as exc:
        fail(f"The job queue is unreachable ({exc}).")
    click.echo(f"Queued {count} picture fetch{'es' if count != 1 else ''}.")


@piglist_cli.command("stats")
def stats() -> None:
    """Print the site's figures: people, groups, gifts, open group gifts, the job queue, live
    connections."""
    figures = site_stats()
    unknown = "unknown (Redis is down)"
    click.echo(f"Users: {figures['users']}")
    click.echo(f"Groups: {figures['groups']}")
    gifts = figures["gifts"]
    click.echo(f"Gifts: {sum(gifts.values())} ({', '.join(f'{n} {s}' for s, n in gifts.items())})")
    lists = figures["lists"]
    click.echo(f"Lists: {sum(lists.values())} ({', '.join(f'{n} {kind}' for kind, n in lists.items())})")
    click.echo(f"Ideas: {figures['ideas']}")
    occasions = figures["occasions"]
    click.echo(
        f"Occasions: {occasions['occasions']} ({occasions['upcoming']} upcoming, {occasions['past']} past;"
        f" {occasions['reveals']} lists revealed, {occasions['reminders_sent']} reminders sent)"
    )
    exchanges = figures["exchanges"]
    click.echo(
        f"Secret Santa exchanges: {sum(exchanges.values())} ({exchanges['open']} open, {exchanges['drawn']} drawn)"
    )
    click.echo(f"Open group gifts: {figures['open_group_gifts']}")
    queue = figures["queue"]
    if figures["redis"] == "absent":
        click.echo("Job queue: none shared (no REDIS_URL: each process runs its own jobs)")
    elif queue is None:
        click.echo(f"Job queue: {unknown}")
    else:
        click.echo(f"Job queue: {queue['queued']} waiting, {queue['failed']} failed in the last hour")
    sockets = figures["live_sockets"]
    click.echo(f"Live sockets: {unknown if sockets is None else sockets}")
    click.echo(f"Renders: {_renders_line(figures['renders'], unknown)}")


def _renders_line(renders: dict | None, unknown: str) -> str:
    if renders is None:
        return unknown
    if renders["enabled"]:
        state = f"on ({renders['chromium']})"
    elif current_app.config["SCRAPER_RENDER"] == "off":
        state = "off (SCRAPER_RENDER=off)"
    else:
        state = "off (no Chromium installed)"
    average = renders["average_seconds"]
    timing = f", {average:.1f} s on average" if average is not None else ""
    return (
        f"{state}; {renders['renders']} rendered, {renders['failed']} failed, "
        f"{renders['blocked']} requests blocked{timing}"
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(piglist_cli)
