"""Calling the API with a token in one process or another, and what a call costs in statements.

The credentials cache lets a process trust a token it already knows without a query, for as long
as Redis vouches for it; the cache tests and the Redis-outage tests both warm a process up with a
token, call it from another, and count the statements a call then runs (0 when the cache is
trusted). One ``warm`` and one ``statements_of`` keep both modules meaning the same by "known".
"""

from __future__ import annotations

from .clients import ApiClient
from .queries import counting_queries


def calls(app, token: str) -> ApiClient:
    return ApiClient(app.test_client(), token)


def statements_of(client: ApiClient, path: str = "/me") -> tuple[int, int]:
    with counting_queries() as statements:
        status = client.get(path).status_code
    return status, len(statements)


def warm(app, token: str) -> ApiClient:
    client = calls(app, token)
    for _ in range(3):
        assert client.get("/me").status_code == 200
    assert statements_of(client) == (200, 0)
    return client
