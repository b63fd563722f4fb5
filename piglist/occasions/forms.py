"""The admins' occasion form; its fields are checked by the service's rules, once, on save."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, SubmitField
from wtforms.widgets import CheckboxInput, ListWidget

from ..models import Occasion, Piglist


class OccasionForm(FlaskForm):
    name = StringField("Name", render_kw={"autocomplete": "off", "placeholder": "Christmas"})
    date = StringField("Date", render_kw={"type": "date"})
    time_zone = StringField(
        "Time zone",
        default="UTC",
        description="The family's, e.g. Europe/London: reminders and the reveal follow its days.",
        render_kw={"autocomplete": "off"},
    )
    list_ids = SelectMultipleField(
        "For",
        description="Tick none for every list (Christmas); one for a birthday.",
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,  # the service says which ids are this group's, in its own words
    )
    submit = SubmitField("Save occasion")

    def offer(self, lists: list[Piglist], occasion: Occasion | None = None) -> OccasionForm:
        self.list_ids.choices = [(str(p.id), f"{p.title}'s list") for p in lists]
        if occasion is not None and not self.is_submitted():
            self.name.data, self.date.data = occasion.name, occasion.date.isoformat()
            self.time_zone.data = occasion.time_zone
            self.list_ids.data = (
                [] if occasion.all_lists else [str(link.piglist_id) for link in occasion.lists]
            )
        return self

    def settings(self) -> dict[str, Any]:
        return {
            "name": self.name.data,
            "date": self.date.data,
            "time_zone": self.time_zone.data or "UTC",
            # Ids as numbers; anything else goes as sent, for the service to refuse in its words.
            "list_ids": [int(v) if v.isascii() and v.isdigit() else v for v in self.list_ids.data or []]
            or None,
        }
