"""The add/edit gift form. Every field is checked by the same parser the API uses
(piglist.gifts.fields.PARSERS), so a page shows the API's sentence under the field; the
service checks everything again, with the rules that need the database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField, URLField
from wtforms.validators import ValidationError

from piglist.web.forms import currency_choices, domain_check, written_amount

from ..errors import PiglistError
from ..models import Category
from ..rules.values import clean_text, parse_int
from .fields import PARSERS, PRIORITY_LABELS, clean_options

# The options with a field of their own; any other option is a "name: value" line.
NAMED_OPTIONS = ("size", "colour")


def parse_option_lines(text: str | None) -> dict[str, str]:
    options: dict[str, str] = {}
    for line in (text or "").replace("\r\n", "\n").split("\n"):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip() or not value.strip():
            raise ValidationError(
                f"Write each detail as “name: value”, one per line (not “{line.strip()[:40]}”)."
            )
        options[name.strip()] = value.strip()
    return options


def option_lines(options: Mapping[str, Any]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in options.items() if name not in NAMED_OPTIONS)


def option_check(name: str):
    # The service's limit on one option's text, said with the field's own name.
    return domain_check(lambda value: clean_text(value, name, max_length=100, required=False))


class GiftForm(FlaskForm):
    url = URLField(
        "Link",
        validators=[domain_check(PARSERS["url"])],
        description="Paste the shop's page: we fetch the title, price and picture for you.",
    )
    title = StringField("Title", validators=[domain_check(PARSERS["title"])])
    price = StringField("Price", validators=[written_amount("price", "currency")])
    # A select of common codes (validate_choice off: any code the API takes is still accepted).
    currency = SelectField("Currency", validators=[domain_check(PARSERS["currency"])], validate_choice=False)
    category_id = SelectField("Category", choices=[], validate_choice=False)
    occasion_id = SelectField("For", choices=[], validate_choice=False)
    quantity = StringField("How many", default="1", validators=[domain_check(PARSERS["quantity"])])
    priority = SelectField(
        "How much you want it",
        choices=list(PRIORITY_LABELS.items()),
        default="normal",
        validators=[domain_check(PARSERS["priority"])],
        validate_choice=False,
    )
    # The version the owner started editing from, so a save can't silently undo a newer change.
    seen_version = HiddenField()
    size = StringField("Size", validators=[option_check("size")])
    colour = StringField("Colour", validators=[option_check("colour")])
    options = TextAreaField(
        "Other details", description="One per line, such as “Material: wool” or “Edition: paperback”."
    )
    image = FileField("Upload a picture", description="A JPEG, PNG, WebP or GIF of at most 5 MB.")
    image_url = URLField(
        "Or a picture link",
        validators=[domain_check(PARSERS["image_url"])],
        description="Piglist fetches the picture once and shows its own copy.",
    )
    description = TextAreaField("Description", validators=[domain_check(PARSERS["description"])])
    submit = SubmitField("Save gift")
    # The group's currency: the price is read as the group writes amounts (offer_choices sets it).
    written_in: str | None = None

    def offer_choices(
        self, categories: Iterable[Category], group_currency: str, occasions: Iterable[tuple[int, str]] = ()
    ) -> None:
        """``occasions``: (id, label) of the occasions the list's gifts may be tagged for."""
        self.written_in = group_currency
        self.category_id.choices = [("", "No category")] + [(str(c.id), c.name) for c in categories]
        self.occasion_id.choices = [("", "Any occasion")] + [(str(oid), label) for oid, label in occasions]
        current = (self.currency.data or "").strip().upper() or None
        self.currency.choices = [
            (code, f"{code} – {name}") for code, name in currency_choices(group_currency, current)
        ]
        if current is None:
            self.currency.data = group_currency

    def validate_category_id(self, field: SelectField) -> None:
        # Only the id's shape here: whether it is one of this group's is the service's check.
        try:
            parse_int(field.data or None, "category_id")
        except PiglistError as exc:
            raise ValidationError(exc.message) from None

    def validate_occasion_id(self, field: SelectField) -> None:
        try:
            parse_int(field.data or None, "occasion_id")
        except PiglistError as exc:
            raise ValidationError(exc.message) from None

    def validate_options(self, field: TextAreaField) -> None:
        try:
            clean_options(parse_option_lines(field.data))
        except PiglistError as exc:
            raise ValidationError(exc.message) from None

    def options_data(self) -> dict[str, str]:
        named = {name: getattr(self, name).data for name in NAMED_OPTIONS if getattr(self, name).data}
        return {**parse_option_lines(self.options.data), **named}

    def gift_data(self) -> dict[str, Any]:
        """The whole gift as the service takes it: a saved form replaces every field."""
        return {
            "url": self.url.data,
            "title": self.title.data,
            "price": self.price.data,
            "currency": self.currency.data,
            "category_id": parse_int(self.category_id.data or None, "category_id"),
            "occasion_id": parse_int(self.occasion_id.data or None, "occasion_id"),
            "description": self.description.data,
            "image_url": self.image_url.data,
            "options": self.options_data(),
            "quantity": self.quantity.data,
            "priority": self.priority.data,
        }

    def picture(self) -> bytes | None:
        """The uploaded picture's bytes, when a file was chosen."""
        upload = self.image.data
        return upload.read() if upload is not None and upload.filename else None

    @classmethod
    def for_gift(cls, view: Mapping[str, Any], image_source: str | None = None) -> GiftForm:
        """The form filled in from the owner's view of a gift; ``image_source`` is a picture link
        still waiting to be fetched, shown rather than the picture it will replace."""
        options = view["options"] or {}
        return cls(
            formdata=None,
            url=view["url"],
            title=view["title"],
            price=view["price"],
            currency=view["currency"],
            category_id=str(view["category_id"] or ""),
            occasion_id=str(view.get("occasion_id") or ""),
            description=view["description"],
            image_url=image_source or view["image_url"],
            quantity=str(view["quantity"]),
            priority=view["priority"],
            size=options.get("size"),
            colour=options.get("colour"),
            options=option_lines(options),
            seen_version=view["updated_at"].isoformat(),
        )

    def seen_at(self) -> datetime | None:
        try:
            return datetime.fromisoformat(self.seen_version.data) if self.seen_version.data else None
        except ValueError:
            return None
