"""Outgoing email: SMTP in production, files in instance/outbox/ in development, a list in tests."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import SMTP
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from flask import after_this_request, current_app
from werkzeug.wrappers import Response

from . import clock


@dataclass(frozen=True)
class Mail:
    """A plain-text message."""

    to: str
    subject: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)


def send_mail(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
    """Send a plain-text email with the configured backend."""
    config = current_app.config
    # RFC 5322 allows 998-character lines; the default 78 would encode a long List-Unsubscribe URL into
    # something mail clients cannot use.
    message = EmailMessage(policy=SMTP.clone(max_line_length=998))
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    # RFC 5322 requires Date; a Message-ID on the clinic's own domain is what receiving servers and spam
    # filters expect of a sender that signs its mail (SPF, DKIM: docs/DEPLOY.md).
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = make_msgid(domain=message_id_domain(config))
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    backend = config["MAIL_BACKEND"]
    if backend == "memory":
        current_app.extensions.setdefault("course.sent_mail", []).append(
            Mail(to, subject, body, headers or {})
        )
    elif backend == "outbox":
        outbox = Path(current_app.instance_path) / "outbox"
        outbox.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        (outbox / f"{stamp}.eml").write_bytes(bytes(message))
    elif backend == "smtp":
        _send_smtp(message)
    else:
        raise ValueError(f"unknown MAIL_BACKEND {backend!r}")


def message_id_domain(config: Mapping[str, Any]) -> str:
    """MAIL_MESSAGE_ID_DOMAIN, or else the domain of the sender's address (MAIL_DEFAULT_SENDER)."""
    configured = config.get("MAIL_MESSAGE_ID_DOMAIN")
    if configured:
        return str(configured)
    _name, address = parseaddr(str(config["MAIL_DEFAULT_SENDER"]))
    return address.rpartition("@")[2] or "localhost"


def _send_smtp(message: EmailMessage) -> None:
    config = current_app.config
    context = ssl.create_default_context()
    host, port = config["MAIL_SERVER"], int(config["MAIL_PORT"])
    if config["MAIL_USE_SSL"]:
        server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, context=context, timeout=20)
    else:
        server = smtplib.SMTP(host, port, timeout=20)
    with server:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            server.starttls(context=context)
        if config["MAIL_USERNAME"]:
            server.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        server.send_message(message)


def send_mail_after_response(to: str, subject: str, body: str) -> None:
    """Send once the response has gone out: a page that must answer the same whether or not an account
    exists (reset, join) must not take longer when it sends an email."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # documented LocalProxy API

    @after_this_request
    def send_later(response: Response) -> Response:
        def send() -> None:
            with app.app_context():
                send_mail(to, subject, body)

        response.call_on_close(send)
        return response


def outbox_path() -> Path | None:
    """Where the development backend keeps sent mail, or None when mail is not kept."""
    if current_app.config["MAIL_BACKEND"] != "outbox":
        return None
    return Path(current_app.instance_path) / "outbox"


def forget_recipient(outbox: Path, address: str) -> int:
    """Remove the kept messages sent to `address` (a person's deletion); the number removed."""
    wanted = address.strip().lower()
    removed = 0
    for kept in sorted(outbox.glob("*.eml")):
        with kept.open("rb") as handle:
            headers = BytesHeaderParser().parse(handle)
        if any(found.lower() == wanted for _name, found in getaddresses(headers.get_all("To", []))):
            kept.unlink()
            removed += 1
    return removed
