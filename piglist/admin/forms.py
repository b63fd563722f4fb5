"""Forms of the group admin pages; every field runs the service's own rule for it."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField

from piglist.web.forms import domain_check, written_amount

from ..groups import categories
from ..groups.forms import GroupForm

MONEY_INPUT = {"inputmode": "decimal", "autocomplete": "off", "placeholder": "No limit"}


class SettingsForm(GroupForm):
    submit = SubmitField("Save settings")


def category_rule(key: str):
    """A validator running the service's rule for one category field."""
    return domain_check(lambda value: categories.parse_category({key: value}, creating=False)[key])


class CategoryForm(FlaskForm):
    name = StringField("Name", validators=[category_rule("name")], render_kw={"autocomplete": "off"})
    spending_limit = StringField(
        "Spending limit per list",
        validators=[written_amount("spending_limit")],
        description="What one person's gifts in this category may add up to.",
        render_kw=MONEY_INPUT,
    )
    max_item_price = StringField(
        "Highest price per gift",
        validators=[written_amount("max_item_price")],
        description="No single gift in this category may cost more.",
        render_kw=MONEY_INPUT,
    )
    submit = SubmitField("Add category")
    # The group's currency, set by the page: limits are read as the group writes amounts.
    written_in: str | None = None

    def fields(self) -> dict[str, Any]:
        return {
            "name": self.name.data,
            "spending_limit": self.spending_limit.data,
            "max_item_price": self.max_item_price.data,
        }


class DeleteGroupForm(FlaskForm):
    confirm_name = StringField(
        "Type the group's name to confirm", render_kw={"autocomplete": "off", "spellcheck": "false"}
    )
    submit = SubmitField("Delete this group")
