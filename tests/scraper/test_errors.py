from __future__ import annotations

import pickle

from piglist.scraper.errors import FetchError, FetchTimeout, HostNotFound, HttpStatusError


def round_trip(error: FetchError) -> FetchError:
    return pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes, as a job queue would


def test_errors_keep_reason_and_transient_through_pickling() -> None:
    for error in (HttpStatusError(503), HostNotFound(transient=True), FetchTimeout("Slow.")):
        copy = round_trip(error)
        assert (type(copy), copy.reason, copy.transient) == (type(error), error.reason, error.transient)
    copy = round_trip(HttpStatusError(404))
    assert isinstance(copy, HttpStatusError)
    assert copy.status == 404


def test_status_errors_read_plainly() -> None:
    assert HttpStatusError(404).reason == "That page doesn't exist (any more). Please check the address."
    assert str(HttpStatusError(500)) == HttpStatusError(500).reason
