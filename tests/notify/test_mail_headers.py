"""Mail that arrives: what a real SMTP server received carries the headers RFC 5322 requires, with a
Message-ID on the clinic's own domain."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from flask import Flask

from course.clock import FrozenClock
from course.mail import send_mail
from tests.notify.conftest import Inbox

SENDER = "Riverside Pain Clinic <care@riverside-clinic.example>"


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp: tuple[Inbox, int]) -> dict[str, Any]:
    return {
        **app_config,
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp[1],
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_DEFAULT_SENDER": SENDER,
    }


@pytest.fixture
def inbox(smtp: tuple[Inbox, int]) -> Inbox:
    return smtp[0]


def send_two(app: Flask) -> None:
    link = "https://course.riverside-clinic.example/notifications/unsubscribe/" + "t" * 300
    with app.app_context():
        send_mail("alex@example.org", "Your next module is ready", "Hello Alex,\n\nWeek 2 is open.\n")
        send_mail(
            "sam@example.org",
            "Your next step is waiting",
            f"Hello Sam,\n\n{link}\n",
            {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        )


def test_every_message_carries_the_headers_rfc_5322_requires(
    app: Flask, inbox: Inbox, clock: FrozenClock
) -> None:
    send_two(app)
    assert len(inbox.raw) == 2
    ids = set()
    for raw in inbox.raw:
        head, _, _body = raw.partition(b"\r\n\r\n")
        lines = raw.split(b"\r\n")
        assert all(len(line) <= 998 for line in lines), "RFC 5322 2.1.1: lines of at most 998 characters"
        assert b"\n" not in raw.replace(b"\r\n", b""), "RFC 5322 2.3: CRLF line endings only"
        head.decode("ascii")  # RFC 5322 2.2: header fields are US-ASCII
        message = message_from_bytes(raw, policy=default)
        # RFC 5322 3.6: exactly one Date and one From; at most one To, Subject and Message-ID.
        for name in ("Date", "From", "To", "Subject", "Message-ID"):
            assert len(message.get_all(name, [])) == 1, name
        assert parsedate_to_datetime(str(message["Date"])) == clock()
        assert str(message["From"]) == SENDER
        # RFC 5322 3.6.4: msg-id = "<" id-left "@" id-right ">", here on the clinic's own domain.
        match = re.fullmatch(r"<([^<>@\s]+)@riverside-clinic\.example>", str(message["Message-ID"]))
        assert match, message["Message-ID"]
        ids.add(str(message["Message-ID"]))
    assert len(ids) == 2  # unique per message
    unsubscribe = message_from_bytes(inbox.raw[1], policy=default)
    assert str(unsubscribe["List-Unsubscribe"]).endswith("t" * 300 + ">")  # one line, usable as sent


def test_message_id_domain_can_be_set_apart_from_the_sender(app_config: dict[str, Any], inbox: Inbox) -> None:
    from course import create_app
    from course.db import dispose

    app = create_app({**app_config, "MAIL_MESSAGE_ID_DOMAIN": "mail.riverside-clinic.example"})
    with app.app_context():
        send_mail("alex@example.org", "Hello", "Hello.\n")
    dispose(app)
    message = message_from_bytes(inbox.raw[0], policy=default)
    assert str(message["Message-ID"]).endswith("@mail.riverside-clinic.example>")
