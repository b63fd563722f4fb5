"""The hand-written floor for ``GET /api/v1/groups/<gid>/piglists``: what the same answer costs
with nothing but psycopg and ``json.dumps``, served by the Procfile's gunicorn line (bench/web.py
runs it as ``bench.floor:app``). Not part of the app.

It does the same work the app must: the Bearer token (hashed) finds the user, membership is
checked, every member's list is read with the surprise rule's filtering (deleted gifts only for
those who bought some; on the reader's own list no status, purchases or viewers) and the same
order (priority, category, age), and the JSON has the same shape and values. It does not read presence (``viewers`` is
always empty) and never updates a token's ``last_used_at``: both are costs the app pays and the
floor doesn't, so the ratio is, if anything, unkind to the app.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
from contextlib import contextmanager
from datetime import UTC
from decimal import Decimal

import psycopg
from flask import Flask, Response, request

DSN = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
POOL_SIZE = 15  # SQLAlchemy's default pool: 5, plus 10 overflow

app = Flask(__name__)
_pool: queue.LifoQueue = queue.LifoQueue()
_opened = 0


@contextmanager
def connection():
    global _opened
    try:
        conn = _pool.get_nowait()
    except queue.Empty:
        if _opened < POOL_SIZE:
            _opened += 1
            conn = psycopg.connect(DSN, autocommit=True)
        else:
            conn = _pool.get()
    try:
        yield conn
    finally:
        _pool.put(conn)


def error(status: int, code: str, message: str) -> Response:
    body = json.dumps({"error": {"code": code, "message": message, "field": None}})
    return Response(body, status, mimetype="application/json")


def iso(value) -> str | None:
    return (
        None if value is None else value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    )


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


GIFTS = """
SELECT g.id, p.user_id, g.category_id, g.url, g.title, g.description, g.price, g.regular_price,
       g.currency, g.image_url, g.options, g.quantity, g.priority, g.scrape_status, g.scrape_error,
       g.created_at, g.updated_at, g.status, g.deleted_at, g.piglist_id, g.occasion_id, g.is_idea,
       g.added_by_id, a.display_name
FROM gifts g JOIN piglists p ON p.id = g.piglist_id
LEFT JOIN categories c ON c.id = g.category_id
LEFT JOIN users a ON a.id = g.added_by_id
WHERE p.group_id = %(group)s AND p.kind = 'member' AND g.reveal_id IS NULL
  AND NOT (g.is_idea AND p.user_id = %(viewer)s)
  AND (g.deleted_at IS NULL OR (p.user_id <> %(viewer)s AND EXISTS (
        SELECT 1 FROM purchases x WHERE x.gift_id = g.id AND x.user_id = %(viewer)s)))
ORDER BY CASE g.priority WHEN 'high' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END,
         c.display_order NULLS LAST, c.id NULLS LAST, g.created_at, g.id
"""

PURCHASES = """
SELECT x.gift_id, x.user_id, u.display_name, x.quantity, x.purchased_at
FROM purchases x JOIN users u ON u.id = x.user_id JOIN gifts g ON g.id = x.gift_id
JOIN piglists p ON p.id = g.piglist_id
WHERE p.group_id = %s AND p.user_id <> %s
ORDER BY x.purchased_at, x.id
"""

GROUP_GIFTS = """
SELECT gg.gift_id, gg.status, gg.organiser_id, o.display_name, pl.user_id, u.display_name, pl.amount
FROM group_gifts gg JOIN gifts g ON g.id = gg.gift_id JOIN piglists p ON p.id = g.piglist_id
LEFT JOIN users o ON o.id = gg.organiser_id
LEFT JOIN pledges pl ON pl.group_gift_id = gg.id LEFT JOIN users u ON u.id = pl.user_id
WHERE p.group_id = %s AND p.user_id <> %s AND gg.status <> 'cancelled'
ORDER BY pl.created_at, pl.id
"""


@app.get("/api/v1/groups/<int:group_id>/piglists")
def piglists(group_id: int):
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return error(401, "unauthenticated", "Log in first.")
    token_hash = hashlib.sha256(secret.strip().encode()).hexdigest()
    with connection() as conn:
        found = conn.execute(
            "SELECT t.user_id, m.role IS NOT NULL, g.currency FROM api_tokens t "
            "LEFT JOIN group_members m ON m.user_id = t.user_id AND m.group_id = %s "
            "LEFT JOIN groups g ON g.id = m.group_id WHERE t.token_hash = %s",
            (group_id, token_hash),
        ).fetchone()
        if found is None:
            return error(401, "unauthenticated", "That API token is not valid.")
        viewer, is_member, currency = found
        if not is_member:
            return error(404, "not_found", "No such group (or you aren't a member).")
        members = conn.execute(
            "SELECT u.id, u.display_name FROM group_members m JOIN users u ON u.id = m.user_id "
            'WHERE m.group_id = %s ORDER BY u.id <> %s, lower(u.display_name) COLLATE "C", u.id',
            (group_id, viewer),
        ).fetchall()
        categories = conn.execute(
            "SELECT id, spending_limit FROM categories WHERE group_id = %s ORDER BY display_order, id",
            (group_id,),
        ).fetchall()
        rows = conn.execute(GIFTS, {"group": group_id, "viewer": viewer}).fetchall()
        bought = conn.execute(PURCHASES, (group_id, viewer)).fetchall()
        chipped = conn.execute(GROUP_GIFTS, (group_id, viewer)).fetchall()

    purchases: dict[int, list[dict]] = {}
    for gift_id, buyer, buyer_name, quantity, at in bought:
        purchases.setdefault(gift_id, []).append(
            {"user": {"id": buyer, "display_name": buyer_name}, "quantity": quantity, "purchased_at": iso(at)}
        )

    together: dict[int, dict] = {}
    for gift_id, status, organiser, organiser_name, pledger, pledger_name, amount in chipped:
        entry = together.setdefault(
            gift_id,
            {
                "status": status,
                "organiser": None if organiser is None else {"id": organiser, "display_name": organiser_name},
                "pledges": [],
            },
        )
        if pledger is not None:
            entry["pledges"].append({"user": {"id": pledger, "display_name": pledger_name}, "amount": amount})

    names = dict(members)
    gifts: dict[int, list[dict]] = {user_id: [] for user_id, _ in members}
    sums: dict[int, dict[int, Decimal]] = {user_id: {} for user_id, _ in members}
    for (gift_id, owner, category, url, title, description, price, regular, gift_currency, image, options,
         quantity, priority, scrape_status, scrape_error, created, updated, status,
         deleted, list_id, occasion, idea, added_by, added_by_name) in rows:  # fmt: skip
        view = {
            "id": gift_id,
            "group_id": group_id,
            "list_id": list_id,
            "owner": {"id": owner, "display_name": names[owner]},
            "category_id": category,
            "url": url,
            "title": title,
            "description": description,
            "price": money(price),
            "regular_price": money(regular),
            "currency": gift_currency,
            "image_url": image,
            "options": options or {},
            "quantity": quantity,
            "priority": priority,
            "occasion_id": occasion,
            "scrape_status": scrape_status,
            "scrape_error": scrape_error,
            "created_at": iso(created),
            "updated_at": iso(updated),
        }
        if owner != viewer:
            its = purchases.get(gift_id, [])
            view.update(
                status=status,
                purchased_by=its[0]["user"] if its else None,
                purchased_at=its[0]["purchased_at"] if its else None,
                purchased_quantity=sum(p["quantity"] for p in its),
                purchases=its,
                viewers=[],
                removed=deleted is not None,
                idea=idea,
                added_by=None if added_by is None else {"id": added_by, "display_name": added_by_name},
                group_gift=group_gift(together.get(gift_id), price),
            )
        gifts[owner].append(view)
        if (
            category
            and not idea
            and deleted is None
            and price is not None
            and (gift_currency or currency) == currency
        ):
            sums[owner][category] = sums[owner].get(category, Decimal("0.00")) + price
    body = [
        {
            "user": {"id": user_id, "display_name": name},
            "gifts": gifts[user_id],
            "totals": [
                {
                    "category_id": c,
                    "total": money(sums[user_id].get(c, Decimal("0.00"))),
                    "spending_limit": money(limit),
                }
                for c, limit in categories
            ],
        }
        for user_id, name in members
    ]
    return Response(json.dumps(body), mimetype="application/json")


def group_gift(entry: dict | None, price: Decimal | None) -> dict | None:
    if entry is None:
        return None
    pledged = sum((p["amount"] for p in entry["pledges"]), Decimal("0.00"))
    return {
        **entry,
        "pledges": [{**p, "amount": money(p["amount"])} for p in entry["pledges"]],
        "pledged": money(pledged),
        "remaining": money(max((price or Decimal("0.00")) - pledged, Decimal("0.00"))),
    }


@app.get("/health")
def health():
    return {"database": "ok"}
