"""The product's rules, one module each, so "where is X decided?" has a one-word answer.

- ``surprise``: what a person may receive about a gift — an allow-list of what reaches an
  owner about their own gifts (gift fields, change events, stats, exports, mail).
- ``limits``: a category's ``max_item_price`` and ``spending_limit``, and what counts toward them.
- ``lock``: when a group's lists are frozen, and what a frozen list refuses.

Every door (pages, API, WebSocket, long poll, jobs, CLI) goes through these. They depend on the
models and the database session only; nothing here imports a door.
"""
