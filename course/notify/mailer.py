"""Turning a decided Message into an email (needs the app for mail settings and the base URL)."""

from __future__ import annotations

from flask import current_app

from ..mail import send_mail
from .services import Message, unsubscribe_token


def deliver(message: Message) -> None:
    """Send one message, with a one-click unsubscribe (RFC 8058) for the kinds that can be switched off."""
    base = current_app.config["COURSE_BASE_URL"].rstrip("/")
    body = f"{message.body}\n\n{message.link}\n"
    headers: dict[str, str] = {}
    if message.unsubscribe_kind:
        token = unsubscribe_token(current_app.config["SECRET_KEY"], message.user, message.unsubscribe_kind)
        link = f"{base}/notifications/unsubscribe/{token}"
        body += f"\nTo stop these emails: {link}\nYou can change all your email choices when signed in.\n"
        headers = {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    send_mail(message.user.email, message.subject, body, headers)
