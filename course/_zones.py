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


def zone_words(name: str) -> str:
    """An IANA zone in plain words, as in "weeks open at midnight, Denver time": the place after the last
    slash, with spaces for underscores ("America/Argentina/Buenos_Aires" is "Buenos Aires time"); "UTC" for
    UTC. course/static/app.js (zoneWords) says the same in the browser."""
    if name in ("UTC", "Etc/UTC", "Etc/GMT"):
        return "UTC"
    return name.rsplit("/", 1)[-1].replace("_", " ") + " time"
