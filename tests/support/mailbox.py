"""A real SMTP server on loopback (aiosmtpd) for the mail tests, and certificates to speak TLS."""

from __future__ import annotations

import email
import email.policy
import ssl
import subprocess
from pathlib import Path

from aiosmtpd.controller import Controller

from scripts.procfile_site import free_port


def self_signed_certificate(folder: Path, name: str) -> tuple[Path, Path]:
    """A certificate and its key for ``name`` (a host name or an IP address), valid for a day and
    signed by itself: its own CA, for a test to trust or not. Made by openssl, which ca-certificates
    brings to every Debian machine."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    kind = "IP" if name.replace(".", "").isdigit() else "DNS"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", f"/CN={name}", "-addext", f"subjectAltName={kind}:{name}"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class Mailbox:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message it accepts.
    ``refuse(n, code)`` makes it answer the next ``n`` messages with ``code`` instead.
    With ``tls`` (a server-side SSL context) it speaks TLS: from the first byte (``smtps://``,
    ``implicit=True``) or after a STARTTLS it insists on (``smtp://``)."""

    def __init__(self, tls: ssl.SSLContext | None = None, implicit: bool = False) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.refusals: list[str] = []
        self.port = free_port()
        if tls is None:
            options = {}
        elif implicit:
            options = {"ssl_context": tls}
        else:
            options = {"tls_context": tls, "require_starttls": True}
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()
        scheme = "smtps" if tls is not None and implicit else "smtp"
        self.url = f"{scheme}://127.0.0.1:{self.port}"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refusals:
            return self.refusals.pop(0)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def refuse(self, times: int = 1, answer: str = "451 4.3.0 Try again later") -> None:
        self.refusals.extend([answer] * times)

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [message for recipients, message in self.messages if address in recipients]

    @staticmethod
    def text(message) -> str:
        return message.get_body(("plain",)).get_content()

    @staticmethod
    def html(message) -> str:
        return message.get_body(("html",)).get_content()

    def close(self) -> None:
        self.controller.stop()
