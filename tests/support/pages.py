"""What of a page may differ between two renders, and a page read with it blanked out.

The surprise tests compare what a list's owner is shown before and after someone else acts on
their gift, byte for byte; a few parts of every page change with each render whatever happened
(the CSRF token, the CSP nonce, the forms' one-time key) and one (the live updates' cursor) with
the owner's own changes. They are blanked here, in one place, so that every module comparing pages
blanks the same parts and nothing more.
"""

from __future__ import annotations

import re

VOLATILE = [
    (re.compile(r'(name="csrf_token" type="hidden" value=")[^"]*'), r"\1…"),
    (re.compile(r'(name="csrf_token" value=")[^"]*'), r"\1…"),
    (re.compile(r'(<meta name="csrf-token" content=")[^"]*'), r"\1…"),
    (re.compile(r'(<meta name="csp-nonce" content=")[^"]*'), r"\1…"),
    # The import map (piglist.web.assets, once the static files are built) carries the same nonce.
    (re.compile(r'(<script type="importmap" nonce=")[^"]*'), r"\1…"),
    # The forms' one-time key (piglist.web.idempotency): new with every page, like the token.
    (re.compile(r'(name="idempotency_key" value=")[^"]*'), r"\1…"),
]
# Where the page's live updates start: it moves with every change the owner may see (their own
# additions and removals), never with a purchase or a viewer (the surprise tests keep it).
CURSOR = re.compile(r'(data-cursor=")[^"]*')


def normalised(response) -> tuple[int, str, str]:
    body = response.get_data(as_text=True)
    for pattern, blank in VOLATILE:
        body = pattern.sub(blank, body)
    return response.status_code, response.headers.get("Content-Type", ""), body


def snapshot(client, paths) -> dict[str, tuple[int, str, str]]:
    return {path: normalised(client.get(path)) for path in paths}
