"""Forms of the group pages. Each field checks its input with the service's own parser, so a page
shows the sentence the API returns for the same mistake."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired
from wtforms.widgets import DateInput

from piglist.web.forms import common_currencies, domain_check

from . import invitations, lifecycle


def group_setting(key: str):
    """A validator running the service's rule for one group setting."""
    return domain_check(
        lambda value: getattr(lifecycle.parse_group_settings({key: value}, creating=False), key)
    )


class GroupForm(FlaskForm):
    """Name, currency and lock date: creating a group and the admin's settings page."""

    name = StringField("Group name", validators=[group_setting("name")], description="e.g. “Smith Family”")
    currency = StringField(
        "Currency",
        default="USD",
        validators=[group_setting("currency")],
        description="A three-letter code such as USD, EUR or GBP.",
        render_kw={
            "list": "currency-codes",
            "maxlength": 3,
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
        },
    )
    lock_date = StringField(
        "Lock date (optional)",
        widget=DateInput(),
        validators=[group_setting("lock_date")],
        description="The last day lists can be changed. Leave it empty to keep them open.",
    )
    submit = SubmitField("Create the group")

    @property
    def currency_suggestions(self) -> tuple[tuple[str, str], ...]:
        """Offered as suggestions; the field takes any ISO 4217 code. Made when a page shows them,
        not at import: the names are Babel's locale data (~95 ms to load)."""
        return common_currencies()

    def settings(self) -> dict[str, Any]:
        return {"name": self.name.data, "currency": self.currency.data, "lock_date": self.lock_date.data}


def invite_code_of(value: str | None) -> str | None:
    """People paste the whole link they were sent; the code is its last path segment."""
    if not value or not value.strip():
        return value
    path = urlsplit(value.strip()).path.rstrip("/")
    return path.rsplit("/", 1)[-1]


class JoinForm(FlaskForm):
    code = StringField(
        "Invite link or code",
        filters=[invite_code_of],
        validators=[InputRequired("Paste the invite link or code a relative sent you.")],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    submit = SubmitField("Join")


class InviteForm(FlaskForm):
    # Checked by invitations.invite_by_email, which reports a bad address under this field.
    addresses = TextAreaField(
        "Email addresses",
        description=f"Up to {invitations.MAX_ADDRESSES}, separated by commas or on lines of their own.",
    )
    submit = SubmitField("Send invitations")
