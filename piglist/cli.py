"""Operators' commands: ``flask piglist …``. Each calls the same service functions the pages call,
prints what it did, and exits non-zero on error."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from .auth import service as accounts
from .errors import PiglistError

piglist_cli = AppGroup("piglist", help="Piglist operators' commands.")


def fail(message: str) -> None:
    raise click.ClickException(message)


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
    from .demo import has_users, seed_demo

    if if_empty and has_users():
        click.echo("The database already has users; no demo family added.")
        return
    result = seed_demo()
    verb = "Created" if result.created else "Found"
    click.echo(f"{verb} the demo family {result.group.name!r} (group {result.group.id}). Log in as:")
    for email, password in result.logins:
        click.echo(f"  {email}  {password}")


@piglist_cli.command("sweep-presence")
def sweep_presence() -> None:
    """Forget viewers silent for longer than the presence TTL, and tell the others they left."""
    from redis.exceptions import RedisError

    from .live.viewing import sweep_presence as sweep

    try:
        removed = sweep()
    except RedisError as exc:
        fail(f"Redis is unreachable: {exc}")
    click.echo(f"Removed {removed} stale presence entr{'y' if removed == 1 else 'ies'}.")


def init_app(app: Flask) -> None:
    app.cli.add_command(piglist_cli)
