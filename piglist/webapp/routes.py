"""The installable app's doors: ``/manifest.webmanifest``, ``/service-worker.js``, ``/offline``
and ``/share``.

The manifest uses paths only: a browser resolves them against the manifest's own address, so no
link in it is ever built from a request's ``Host``. The service worker is served from the root so
its scope is the whole site; its script (static/js/service-worker.js) is what decides, and it
never stores a page or an API answer. The offline page is the one page it keeps, so it carries
nothing personal: no name, no CSRF token, no group.
"""

from __future__ import annotations

import re

from flask import Blueprint, current_app, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user, login_required

from piglist.web.assets import static_digest

from ..errors import ValidationFailed
from . import share

bp = Blueprint("webapp", __name__)

THEME = "#b0435a"  # --pink-dark, the buttons' colour
BACKGROUND = "#fffaf5"  # --cream, the pages' background


@bp.route("/manifest.webmanifest")
def manifest():
    icon = lambda name: static_digest.static_url_for("static", filename=f"img/{name}")  # noqa: E731
    body = {
        "id": "/",
        "name": "Piglist",
        "short_name": "Piglist",
        "description": "Family wish lists that keep the surprise.",
        "start_url": url_for("main.dashboard"),
        "scope": "/",
        "display": "standalone",
        "background_color": BACKGROUND,
        "theme_color": THEME,
        "icons": [
            {"src": icon("icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": icon("icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": icon("icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
        "share_target": {
            "action": url_for("webapp.share_link"),
            "method": "GET",
            "enctype": "application/x-www-form-urlencoded",
            "params": {"title": "title", "text": "text", "url": "url"},
        },
    }
    response = current_app.response_class(current_app.json.dumps(body), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


# The static files the worker keeps, named in its script by their plain addresses.
PRECACHED = re.compile(r'"/static/([^"]+)"')


@bp.route("/service-worker.js")
def service_worker():
    """The worker's script with the fingerprinted addresses of the files it keeps (the offline page
    names those): a new fingerprint is a new script, which the browser installs in the old one's place."""
    response = send_from_directory(current_app.static_folder, "js/service-worker.js", max_age=0)
    response.direct_passthrough = False
    script = PRECACHED.sub(
        lambda found: '"' + static_digest.static_url_for("static", filename=found.group(1)) + '"',
        response.get_data(as_text=True),
    )
    response.set_data(script)
    # A worker's policy comes from its script's answer: it may fetch this site and nothing else.
    response.headers["Content-Security-Policy"] = "default-src 'self'"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/offline")
def offline():
    return render_template("webapp/offline.html")


@bp.route("/share")
@login_required
def share_link():
    try:
        link = share.shared_link(request.args)
    except ValidationFailed as error:
        return render_template("webapp/share.html", error=error.message, link=None, destinations=[]), 422
    choices = share.destinations(current_user, link)
    open_choices = [choice for choice in choices if not choice.frozen]
    if len(choices) == 1 and open_choices:
        return redirect(open_choices[0].add_url, 303)
    return render_template("webapp/share.html", error=None, link=link, destinations=choices)
