"""E-mail: every mail Piglist sends is built here from ``templates/email/<name>.txt`` and
``.html`` and handed to a background job; no request ever waits on an SMTP server.

``SMTP_URL`` chooses the transport once, at start-up: ``smtp://user:pass@host:port`` upgrades
with STARTTLS whenever the server offers it, ``smtps://…`` speaks TLS from the first byte. Over
TLS the server's certificate is always checked, against the system's CAs or ``SMTP_CA_FILE``'s.
With SMTP_URL unset, each mail is written to the log instead of sent, so a developer can follow
the links without a mail server (production insists on SMTP_URL unless ``MAIL_BACKEND=log``). A mail that can't be sent is retried with backoff (``MAIL_RETRY_DELAYS``)
and, when it finally fails, logged with the reason: never lost silently, never a 500.

Every mail has a plain-text part, an HTML part and a link to the profile settings; nothing in it
reports back (no pictures, no tracking links). Who may be mailed about a gift is the surprise
rule's decision (piglist.rules.surprise), never this module's.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app, render_template
from redis.exceptions import RedisError

from piglist.stores import jobs, metrics

log = logging.getLogger(__name__)

DEFAULT_SENDER = "Piglist <piglist@localhost>"
PORTS = {"smtp": 587, "smtps": 465}


@dataclass(frozen=True)
class Transport:
    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> Transport:
    parts = urlsplit(url)
    if parts.scheme not in PORTS or not parts.hostname:
        raise ValueError("SMTP_URL must look like smtp://user:password@host:port or smtps://…")
    return Transport(
        scheme=parts.scheme,
        host=parts.hostname,
        port=parts.port or PORTS[parts.scheme],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def init_app(app: Flask) -> None:
    """``site_link(endpoint, **values)`` for templates that show an absolute link (the invite link).
    Settings that could never work (SMTP_URL, SMTP_CA_FILE) were refused by config.check."""
    app.jinja_env.globals["site_link"] = lambda endpoint, **values: link(site_url(), endpoint, **values)


def tls_context() -> ssl.SSLContext:
    """Certificates checked, host name included: against ``SMTP_CA_FILE`` alone when it is set (a
    private relay's CA), else the system's CAs."""
    return ssl.create_default_context(cafile=current_app.config["SMTP_CA_FILE"])


def site_url() -> str:
    """Where absolute links point: ``PUBLIC_URL``, always. Never the request's ``Host`` or
    ``X-Forwarded-Host``: anyone can write those, and a reset mail linking to their host hands
    them the token (issue 22). Production refuses to start without it; the other configurations
    default it."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + "/"


def link(base_url: str, endpoint: str, anchor: str = "", **values: Any) -> str:
    """An absolute link to ``endpoint`` on the site at ``base_url``, built without a request."""
    parts = urlsplit(base_url)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{anchor}" if anchor else url


def sender() -> str:
    return current_app.config["MAIL_FROM"] or DEFAULT_SENDER


def _domain() -> str:
    return parseaddr(sender())[1].rpartition("@")[2] or "localhost"


def compose(template: str, to: str, subject: str, base_url: str, **context: Any) -> EmailMessage:
    """The mail ``email/<template>``, its text and HTML parts rendered with ``context`` plus
    ``link(endpoint, **values)`` and ``settings_url`` (the profile's e-mail settings)."""
    context.update(
        subject=subject,
        link=lambda endpoint, **values: link(base_url, endpoint, **values),
        settings_url=link(base_url, "auth.profile", anchor="email"),
    )
    message = EmailMessage()
    message["From"] = sender()
    message["To"] = to
    # Names people typed end up in subjects: a line break there would be a header of its own.
    message["Subject"] = " ".join(subject.split())
    message["Date"] = formatdate()
    message["Message-ID"] = make_msgid(domain=_domain())
    message.set_content(render_template(f"email/{template}.txt", **context))
    message.add_alternative(render_template(f"email/{template}.html", **context), subtype="html")
    return message


def queue(job: Callable, *args: Any) -> bool:
    """Queue a job that composes and :func:`deliver`\\ s a mail, with the mail retries. False (and
    logged) when the queue can't be reached; the caller's request goes on regardless."""
    delays = current_app.config["MAIL_RETRY_DELAYS"]
    try:
        jobs.enqueue(job, *args, retries=len(delays), delays=delays)
    except RedisError as exc:
        log.error("mail job %s not queued: %s", job.__name__, exc)
        return False
    return True


def logs_only() -> bool:
    """Whether mails are written to the log instead of sent (``MAIL_BACKEND=log``, or no SMTP_URL)."""
    return current_app.config["MAIL_BACKEND"] == "log" or not current_app.config["SMTP_URL"]


def deliver(message: EmailMessage) -> None:
    """Send ``message`` now; called inside a mail job. A transient failure raises jobs.Retry while
    retries are left; a permanent one, or the last, is logged with its reason and dropped."""
    if logs_only():
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        log.info("mail not sent (SMTP_URL is unset) to %s: %s\n%s", message["To"], message["Subject"], text)
        metrics.MAILS.labels("logged").inc()
        return
    try:
        _send(message, parse_smtp_url(current_app.config["SMTP_URL"]))
    except (smtplib.SMTPException, OSError) as exc:
        reason = _reason(exc)
        if _permanent(exc) or jobs.retries_left() <= 0:
            log.error("mail to %s (%s) not sent: %s", message["To"], message["Subject"], reason)
            metrics.MAILS.labels("failed").inc()
            return
        log.warning("mail to %s (%s) not sent yet, will retry: %s", message["To"], message["Subject"], reason)
        metrics.MAILS.labels("retried").inc()
        raise jobs.Retry(reason) from exc
    log.info("mail sent to %s: %s", message["To"], message["Subject"])
    metrics.MAILS.labels("sent").inc()


def _send(message: EmailMessage, transport: Transport) -> None:
    timeout = current_app.config["SMTP_TIMEOUT"]
    # Our own name for EHLO: asking the system for its fully qualified name can hang on DNS.
    # The TLS context only when TLS is spoken: loading the system's CAs costs ~20 ms of CPU a mail.
    client: smtplib.SMTP
    if transport.scheme == "smtps":
        client = smtplib.SMTP_SSL(
            transport.host, transport.port, local_hostname=_domain(), timeout=timeout, context=tls_context()
        )
    else:
        client = smtplib.SMTP(transport.host, transport.port, local_hostname=_domain(), timeout=timeout)
    with client:
        if transport.scheme == "smtp":
            client.ehlo()
            if client.has_extn("starttls"):
                client.starttls(context=tls_context())
                client.ehlo()
        if transport.username:
            client.login(transport.username, transport.password or "")
        client.send_message(message)


def _codes(exc: Exception) -> list[int]:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return [code for code, _ in exc.recipients.values()]
    code = getattr(exc, "smtp_code", None)
    return [code] if isinstance(code, int) else []


def _permanent(exc: Exception) -> bool:
    """A 5xx answer (no such mailbox, bad credentials) won't change by trying again in a minute."""
    codes = _codes(exc)
    return bool(codes) and all(code >= 500 for code in codes)


def _reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{addr}: {code} {text!r}" for addr, (code, text) in exc.recipients.items())
    return f"{type(exc).__name__}: {exc}"
