"""Forms of the Secret Santa pages. They only gather what was typed; the service's own parsers
check it (piglist.santa.exchanges), so a page shows the sentence the API returns for the same
mistake."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.widgets import CheckboxInput, DateInput, ListWidget

from piglist.web.forms import written_amount

from ..models import GroupMember


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        """Unknown choices are the service's to refuse, with its own sentence."""


class ExchangeForm(FlaskForm):
    name = StringField("Name", description="e.g. “Christmas 2026”")
    participant_ids = CheckboxesField("Who takes part", coerce=str)
    exclusions = CheckboxesField(
        "Who must not draw each other",
        coerce=str,
        description="Couples, usually: they give each other presents anyway.",
    )
    avoid_previous = BooleanField("Nobody draws the person they had in the last draw", default=True)
    budget = StringField(
        "Budget (optional)",
        validators=[written_amount("budget")],
        description="Shown beside the name each Santa draws.",
    )
    reveal_date = StringField(
        "Reveal date (optional)",
        widget=DateInput(),
        description="From this day everyone sees who gave to whom. Leave it empty to keep it secret.",
    )
    submit = SubmitField("Set up the exchange")
    # The group's currency: the budget is read as the group writes amounts (the page sets it).
    written_in: str | None = None

    def offer(self, members: list[GroupMember]) -> None:
        self.participant_ids.choices = [(str(m.user_id), m.user.display_name) for m in members]
        self.exclusions.choices = [
            (f"{a.user_id}-{b.user_id}", f"{a.user.display_name} & {b.user.display_name}")
            for n, a in enumerate(members)
            for b in members[n + 1 :]
        ]
        if not self.is_submitted():
            self.participant_ids.data = [str(m.user_id) for m in members]

    def setup(self) -> dict[str, Any]:
        pairs = [value.split("-", 1) for value in self.exclusions.data or []]
        return {
            "name": self.name.data,
            "participant_ids": list(self.participant_ids.data or []),
            "exclusions": [pair for pair in pairs if len(pair) == 2],
            "avoid_previous": bool(self.avoid_previous.data),
            "budget": self.budget.data,
            "reveal_date": self.reveal_date.data,
        }


class DrawForm(FlaskForm):
    redraw = HiddenField(default="")
    submit = SubmitField("Draw the names")


class OpenForm(FlaskForm):
    submit = SubmitField("Show me whose Santa I am")


class MessageForm(FlaskForm):
    to = HiddenField()
    body = TextAreaField("Message", render_kw={"rows": 2, "maxlength": 1000})
    submit = SubmitField("Send")
