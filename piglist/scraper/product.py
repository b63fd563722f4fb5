"""The product record the extractor fills in, field by field, from its sources."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from decimal import Decimal

# Fields a source can supply whole; ``options`` merges key by key.
FIELDS = ("title", "price", "currency", "image_url", "description")
# A gift's title holds 255 characters; a description is shown, not archived.
TITLE_LIMIT = 255
DESCRIPTION_LIMIT = 1000

# Option names in the languages shops commonly use, mapped to the keys Piglist stores.
_SIZE = re.compile(
    r"size|gr[oö](?:ss|ß)e|taille|talla|taglia|tamanho|maat|rozmiar|velikost|koko|размер", re.I
)
_COLOUR = re.compile(r"colou?r|farbe|couleur|colore?|\bcor\b|kleur|kolor|barva|väri|цвет", re.I)


def option_kind(name: str) -> str | None:
    """The key Piglist stores an option under ("size", "colour"), from its name in any common
    language ("Größe", "Couleur"); None for other options."""
    if _SIZE.search(name):
        return "size"
    if _COLOUR.search(name):
        return "colour"
    return None


@dataclass
class Product:
    title: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    image_url: str | None = None
    description: str | None = None
    # The price before a discount, where the page shows one (struck through, "was", a list
    # price); never filled unless it is above ``price``, and only alongside it.
    regular_price: Decimal | None = None
    options: dict[str, list[str]] = field(default_factory=dict)
    # Which source supplied each field, e.g. {"price": "json-ld"}: for evaluation and debugging.
    sources: dict[str, str] = field(default_factory=dict)

    def fill_from(self, other: Product, source: str) -> None:
        """Takes the fields, and the kinds of option, this product still lacks from ``other``."""
        for name in FIELDS:
            if getattr(self, name) is None and getattr(other, name) is not None:
                setattr(self, name, getattr(other, name))
                self.sources[name] = source
                if name == "price":
                    self.regular_price = other.regular_price
        for kind, values in other.options.items():
            if kind not in self.options and values:
                self.options[kind] = values
                self.sources.setdefault("options", source)

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) in (None, {}) for f in fields(self) if f.name != "sources")
