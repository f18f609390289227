"""A person's time zone, with a safe fallback (shared by services that must not import Flask)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from .models import User


def zone_of(user: User) -> ZoneInfo:
    """The user's IANA zone; UTC when the stored name is unknown."""
    try:
        return ZoneInfo(user.timezone or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")
