"""Bits of a shop's page written by hand for the scraper tests.

The extraction tests and the price-choice tests build their pages from the same Open Graph tags;
one ``og`` keeps them writing the tag the way shops do.
"""

from __future__ import annotations


def og(key: str, value: str) -> str:
    return f'<meta property="{key}" content="{value}">'
