"""Every route of the app, for the tests that walk them all (the hostile-input fuzz, the Redis
stall sweep): so a route added later is walked without anyone listing it."""

from __future__ import annotations

# Last, so that the requests before them still have a session, a token and a group.
DESTRUCTIVE = ("logout", "revoke", "leave", "remove", "delete", "password")


def fill(app, rule, method: str, values: dict[str, object]) -> str:
    """The URL of ``rule`` with ``values`` in its placeholders."""
    adapter = app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, values, method=method, append_unknown=False)


def routes(app):
    """Every rule but the static files', the destructive ones last."""
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    return sorted(rules, key=lambda rule: any(word in rule.endpoint for word in DESTRUCTIVE))
