"""How long a call took, for the tests that hold a request to a time budget while a server hangs.

The Redis-hang and deployment-timeout tests both time a request against a relay that stops
answering; one ``timed`` keeps them measuring the same span (the call alone, on the monotonic clock).
"""

from __future__ import annotations

import time


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started
