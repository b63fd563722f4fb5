"""Every route of the app, for the tests that walk them all (the hostile-input fuzz, the Redis
stall sweep): so a route added later is walked without anyone listing it."""

from __future__ import annotations

from sqlalchemy import select

from piglist.auth import resets
from piglist.extensions import db
from piglist.models import ApiToken

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


def real_values(family, gift, category, user_id: int) -> dict[str, object]:
    """Every placeholder a route may have, filled with something that exists (the admin's token
    made already): what a walk starts from before it tries hostile ones."""
    return {
        "group_id": family.group.id,
        "user_id": user_id,
        "gift_id": gift.id,
        "category_id": category.id,
        "token_id": db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == family.admin.id)),
        "code": family.group.invite_code,
        "job_id": "no-such-job",
        "token": resets.make_token(family.other),
        "notice_id": 1,
        "exchange_id": 1,
        "key": "0" * 64,
        "list_id": gift.piglist_id,
        "occasion_id": 1,
    }
