"""Piglists and gifts on the website: the lists, adding and editing gifts, buying them."""

from .routes import bp

__all__ = ["bp"]
