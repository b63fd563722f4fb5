"""Driving the site as a person or a program does: forms posted with the session's CSRF token,
logging in through the real pages, the API with a personal token, and reading what a page says.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from piglist.models import User

from .. import factories
from .openapi import check_against_document

PASSWORD = factories.PASSWORD

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(client) -> str:
    """The CSRF token of the client's session, read from a page's meta tag like Turbo does. Every
    page carries it; the not-found page is the cheapest (the dashboard costs four times as much)."""
    page = client.get("/a-page-that-is-not-there").get_data(as_text=True)
    match = CSRF_META.search(page)
    assert match, "no csrf-token meta on the page"
    return match.group(1)


def post_form(client, path, data=None, **kwargs):
    """POST a page's form with the session's CSRF token, as a browser would."""
    return client.post(path, data={"csrf_token": csrf_token(client), **(data or {})}, **kwargs)


# What differs between any two loads of one page: the CSRF token, the CSP nonce and the import
# map's copy of it (piglist.web.assets, once the static files are built).
PER_LOAD = re.compile(
    r'(name="csrf-token" content|name="csp-nonce" content|name="csrf_token" [^>]*value'
    r'|<script type="importmap" nonce)="[^"]*"'
)


def without_per_load(page: str) -> str:
    """``page`` with what changes on every load blanked, to compare two answers byte for byte."""
    return PER_LOAD.sub(r"\1=", page)


def post(client, path: str, **fields):
    return post_form(client, path, fields)


def ask_for_link(client, email: str):
    """Asks for a password-reset link for ``email`` (the forgotten-password form)."""
    return post(client, "/password/forgot", email=email)


def page_text(response) -> str:
    """A page's text with HTML entities read, for checking what a person reads."""
    return html.unescape(response.get_data(as_text=True))


LAZY_FRAME = re.compile(
    r'(<turbo-frame id="([^"]+)" class="list-frame" loading="lazy" src="([^"]+)"[^>]*>).*?(</turbo-frame>)',
    re.S,
)


def all_lists(client, path: str) -> str:
    """The all-lists page as a browser shows it once every list's lazy frame has loaded: each frame's
    placeholder replaced by what its ``src`` answers inside the frame of that id (as Turbo does)."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code

    def loaded(found: re.Match) -> str:
        answer = client.get(found.group(3).replace("&amp;", "&"))
        assert answer.status_code == 200, (found.group(3), answer.status_code)
        inner = re.search(
            rf'<turbo-frame id="{found.group(2)}"[^>]*>(.*)</turbo-frame>',
            answer.get_data(as_text=True),
            re.S,
        )
        assert inner, found.group(3)
        return found.group(1) + inner.group(1) + found.group(4)

    return LAZY_FRAME.sub(loaded, page.get_data(as_text=True))


def member_client(app, user):
    """A browser of its own, logged in as ``user``."""
    client = app.test_client()
    AuthActions(client).login_as(user)
    return client


def error(response) -> dict:
    """The API's error object of a response."""
    return response.get_json()["error"]


class AuthActions:
    """Log in and out through the real pages (flaskr's ``auth`` helper)."""

    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = PASSWORD, **extra):
        return self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": csrf_token(self.client), **extra},
        )

    def login_as(self, user: User):
        response = self.login(user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": csrf_token(self.client)})


class ApiClient:
    """Calls /api/v1 with a personal token, as a program would."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def call(self, method: str, path: str, json=None, headers=None, **kwargs):
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        response = self.client.open("/api/v1" + path, method=method, json=json, headers=headers, **kwargs)
        check_against_document(response)
        return response

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.call("POST", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.call("PATCH", path, json=json, **kw)

    def delete(self, path, json=None, **kw):
        return self.call("DELETE", path, json=json, **kw)


def cursor_of(client, group_id: int) -> str:
    """Where the group's change feed is now (``/groups/<gid>/changes``)."""
    return client.get(f"/groups/{group_id}/changes").get_json()["cursor"]


def changes(client, gid, **query):
    """The long poll's answer (``/groups/<gid>/changes``), asserted to be a 200."""
    response = client.get(f"/groups/{gid}/changes", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


SIGNUP_LINK = re.compile(r"https?://\S+?/register/finish/[A-Za-z0-9._-]+")


def signup_link(mailbox, address: str) -> str:
    """The path of the newest sign-up link mailed to ``address``."""
    texts = [mailbox.text(message) for message in mailbox.to(address)]
    found = [match.group(0) for text in texts if (match := SIGNUP_LINK.search(text))]
    assert found, f"no sign-up link mailed to {address}"
    return urlsplit(found[-1]).path


def sign_up(
    app, client, name: str, email: str, next_path: str | None = None, password: str = PASSWORD, mailbox=None
):
    """Sign up through the pages as a person does (piglist.auth.signups): the form, which answers
    "Check your inbox"; the mailed link, read from a real SMTP server (the test's ``mailbox``, or
    one for the occasion); the password. Returns the answer to the last form (a redirect to where
    they were going)."""
    from .jobs import run_jobs
    from .mailbox import Mailbox

    query = f"?next={next_path}" if next_path else ""
    box = mailbox or Mailbox()
    before = app.config.get("SMTP_URL")
    app.config["SMTP_URL"] = box.url  # before the form: without Redis the job starts at once
    try:
        asked = post(client, f"/register{query}", display_name=name, email=email)
        assert asked.status_code == 302 and asked.headers["Location"] == "/register/sent", asked.status_code
        run_jobs(app)
        path = signup_link(box, email)
    finally:
        if mailbox is None:
            app.config["SMTP_URL"] = before
            box.close()
    assert client.get(path).status_code == 200
    return post(client, path, display_name=name, password=password)
