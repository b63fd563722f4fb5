"""How mail leaves: by SMTP from a job (a real server on loopback), retried with backoff, logged
with its reason when it finally fails, and written to the log when no SMTP server is set."""

from __future__ import annotations

import logging
import ssl

import pytest

from config import TestingConfig
from piglist import create_app
from piglist.stores import mail

from .support.apps import both_backends
from .support.clients import ask_for_link
from .support.jobs import run_jobs
from .support.mailbox import Mailbox, self_signed_certificate


def mail_log(caplog, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "piglist.stores.mail" and r.levelno == level]


@both_backends
def test_without_smtp_url_the_mail_is_written_to_the_log_with_its_link(app, client, user, caplog):
    caplog.set_level(logging.INFO)
    ask_for_link(client, user.email)
    run_jobs(app)
    [logged] = mail_log(caplog, logging.INFO)
    assert "mail not sent (SMTP_URL is unset) to alice@example.org" in logged
    assert "http://localhost/password/reset/" in logged


@both_backends
def test_a_mail_the_server_refuses_once_is_sent_on_the_retry(app, client, user, mailbox, caplog):
    mailbox.refuse(1)
    ask_for_link(client, user.email)
    run_jobs(app)
    assert len(mailbox.to(user.email)) == 1
    [warning] = mail_log(caplog, logging.WARNING)
    assert "will retry" in warning
    assert "451" in warning


def test_a_mail_that_keeps_failing_is_logged_with_its_reason_after_the_last_retry(
    app, client, user, mailbox, caplog
):
    retries = len(app.config["MAIL_RETRY_DELAYS"])
    mailbox.refuse(retries + 1)
    ask_for_link(client, user.email)
    run_jobs(app)
    assert mailbox.messages == []
    assert len(mail_log(caplog, logging.WARNING)) == retries
    [error] = mail_log(caplog, logging.ERROR)
    assert "mail to alice@example.org (Choose a new Piglist password) not sent" in error
    assert "451" in error and "Try again later" in error


def test_a_permanent_refusal_is_logged_at_once_and_not_retried(app, client, user, mailbox, caplog):
    mailbox.refuse(2, "550 5.1.1 No such mailbox")
    ask_for_link(client, user.email)
    run_jobs(app)
    [error] = mail_log(caplog, logging.ERROR)
    assert "550" in error and "No such mailbox" in error
    assert mail_log(caplog, logging.WARNING) == []
    assert mailbox.refusals == ["550 5.1.1 No such mailbox"]  # asked once, not twice


def test_with_the_server_down_the_request_answers_as_usual_and_the_job_logs_it(app, client, user, caplog):
    app.config["SMTP_URL"] = "smtp://127.0.0.1:9"  # the discard port: nothing listens
    response = ask_for_link(client, user.email)
    assert response.status_code == 302
    run_jobs(app)
    [error] = mail_log(caplog, logging.ERROR)
    assert "ConnectionRefusedError" in error


def test_every_mail_has_a_text_part_an_html_part_and_no_pictures(app, client, user, mailbox):
    ask_for_link(client, user.email)
    run_jobs(app)
    [message] = mailbox.to(user.email)
    assert message.get_content_type() == "multipart/alternative"
    assert message["From"] == "Piglist <piglist@localhost>"
    assert message["Message-ID"].endswith("@localhost>")
    html = mailbox.html(message)
    assert "<img" not in html and "src=" not in html


def test_mail_from_is_the_sender(app, client, user, mailbox):
    app.config["MAIL_FROM"] = "Smith Piglist <lists@smith.example>"
    ask_for_link(client, user.email)
    run_jobs(app)
    [message] = mailbox.to(user.email)
    assert message["From"] == "Smith Piglist <lists@smith.example>"


@pytest.mark.parametrize(
    ("url", "transport"),
    [
        ("smtp://mail.example", mail.Transport("smtp", "mail.example", 587, None, None)),
        ("smtps://u%40x:p%3Ass@mail.example", mail.Transport("smtps", "mail.example", 465, "u@x", "p:ss")),
        ("smtp://me:secret@127.0.0.1:2525", mail.Transport("smtp", "127.0.0.1", 2525, "me", "secret")),
    ],
)
def test_smtp_url_gives_the_transport(url, transport):
    assert mail.parse_smtp_url(url) == transport


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "mail.example:25", "smtps:///x"])
def test_an_smtp_url_that_cannot_work_stops_the_app_from_starting(url):
    with pytest.raises(RuntimeError, match="SMTP_URL must look like"):
        create_app(TestingConfig, SMTP_URL=url, REDIS_URL=None)


# --- TLS, against a real server with a certificate of its own --------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, valid for a day: its own CA, to trust or not."""
    return self_signed_certificate(tmp_path_factory.mktemp("smtp-tls"), "127.0.0.1")


def tls_mailbox(app, certificate, implicit: bool):
    cert, key = certificate
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert, key)
    box = Mailbox(tls=server_side, implicit=implicit)
    app.config["SMTP_URL"] = box.url
    return box


@pytest.mark.parametrize(("implicit", "scheme"), [(True, "smtps"), (False, "smtp")])
def test_mail_goes_over_tls_to_a_server_whose_ca_is_trusted(app, client, user, certificate, implicit, scheme):
    app.config["SMTP_CA_FILE"] = str(certificate[0])
    box = tls_mailbox(app, certificate, implicit)
    try:
        assert box.url.startswith(f"{scheme}://")
        ask_for_link(client, user.email)
        run_jobs(app)
        [(recipients, message)] = box.messages
    finally:
        box.close()
    assert recipients == [user.email]
    assert message["To"] == user.email
    assert message["Subject"] == "Choose a new Piglist password"


@pytest.mark.parametrize("implicit", [True, False])
def test_a_certificate_the_app_does_not_trust_is_retried_then_logged_not_sent(
    app, client, user, certificate, implicit, caplog
):
    box = tls_mailbox(app, certificate, implicit)  # the system's CAs don't know this one
    try:
        response = ask_for_link(client, user.email)
        run_jobs(app)
    finally:
        box.close()
    assert response.status_code == 302
    assert box.messages == []
    warnings = mail_log(caplog, logging.WARNING)
    assert len(warnings) == len(app.config["MAIL_RETRY_DELAYS"])
    assert all("will retry" in warning and "CERTIFICATE_VERIFY_FAILED" in warning for warning in warnings)
    [error] = mail_log(caplog, logging.ERROR)
    assert "mail to alice@example.org (Choose a new Piglist password) not sent" in error
    assert "CERTIFICATE_VERIFY_FAILED" in error


def test_an_smtp_ca_file_that_is_not_there_stops_the_app_from_starting(tmp_path):
    with pytest.raises(RuntimeError, match="SMTP_CA_FILE"):
        create_app(TestingConfig, SMTP_CA_FILE=str(tmp_path / "missing.pem"), REDIS_URL=None)
