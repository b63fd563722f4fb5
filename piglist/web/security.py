"""Security headers on every response, and the check that keeps ``next`` redirects on this site."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, g, request


def csp_nonce() -> str:
    """One nonce per response. The one inline script is the import map (piglist.web.assets), data
    and no code; the nonce lets it and Turbo's progress-bar stylesheet (which Turbo inserts itself,
    reading ``<meta name="csp-nonce">``) through."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str, socket_origin: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            # Gift pictures are served by Piglist itself: no browser contacts a shop or an address
            # another member chose (piglist.pictures).
            "img-src 'self' data:",
            # 'self' covers ws: and wss: only in CSP level 3 browsers; the live socket is named too.
            f"connect-src 'self' {socket_origin}",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


# Anything but a page (JSON, pictures, Turbo Streams, files) runs nothing and loads nothing: no
# nonce to make, no socket to name.
NOTHING_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def socket_origin() -> str:
    """This site's WebSocket origin, or nothing when the Host header is not a plain host name."""
    if not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+", request.host):
        return ""
    return f"{'wss' if request.is_secure else 'ws'}://{request.host}"


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not any(ord(c) < 32 for c in target)


def safe_next(default: str) -> str:
    """Where to go after a form: the request's ``next`` when it stays on this site, else ``default``."""
    target = request.values.get("next")
    return target if target is not None and is_safe_next(target) else default


# The session key for the invite link a logged-out visitor opened (groups.join): logging in or
# signing up keeps it across the session reset only on the way back to that link, which joins.
FOLLOWING_INVITE = "following_invite"


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        if response.mimetype == "text/html":
            headers.setdefault(
                "Content-Security-Policy", content_security_policy(csp_nonce(), socket_origin())
            )
        else:
            headers.setdefault("Content-Security-Policy", NOTHING_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config["HSTS"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Pages, API answers, exports, /health: nothing may be kept by a cache unless its view
        # says so itself (static files, pictures, the manifest). Opting out, not in, so a new
        # door can't forget (issue 22: the JSON export and /health had no header at all).
        headers.setdefault("Cache-Control", "no-store")
        return response
