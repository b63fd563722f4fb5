"""The templates' environment: Jinja's, with ``view.price`` read from a dict without first asking
the dict for an attribute of that name.

Every gift reaches a template as a view dict (piglist.rules.surprise), and a list's tiles read
about twenty of its keys each. Jinja's ``getattr`` tries ``getattr(view, "price")`` first, which
raises and catches an AttributeError every time before it looks the key up. For a plain dict and
a name no dict attribute has, the key is all it could ever find, so it is looked up straight away;
anything else (``options.items``, an object, a dict subclass) goes Jinja's way as before.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.templating import Environment as FlaskEnvironment

_DICT_ATTRIBUTES = frozenset(dir(dict))


class Environment(FlaskEnvironment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


class PiglistFlask(Flask):
    """The app class: Flask, with the templates' :class:`Environment`."""

    jinja_environment = Environment
