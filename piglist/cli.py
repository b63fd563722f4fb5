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


def init_app(app: Flask) -> None:
    app.cli.add_command(piglist_cli)
