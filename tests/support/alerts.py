"""Time passing for the purchaser alerts: their batching window ended at once, and the mail sent.

A purchaser is told of the owner's changes to a gift they bought after a batching window, by the
housekeeping round that queues due alerts and the worker that sends them. The mail tests, the
group-gift surprise tests and the deployment links tests all need that window over without
waiting; doing it one way here keeps them ending it as the site does (housekeeping, then jobs).
"""

from __future__ import annotations

from sqlalchemy import update

from piglist.extensions import db
from piglist.gifts.alerts import queue_due_alerts
from piglist.models import PurchaseAlert, utcnow

from .jobs import run_jobs


def time_passes(app) -> None:
    """The batching window ends (its rows fall due), housekeeping queues them, the worker sends."""
    db.session.execute(update(PurchaseAlert).values(due_at=utcnow()))
    db.session.commit()
    queue_due_alerts()
    run_jobs(app)
