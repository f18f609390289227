"""The sign-in limit per account: one bucket per address however it is typed, named without the address."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from course.extensions import limiter
from course.models import User


def test_variants_of_an_email_share_one_bucket(
    app: Flask, client: FlaskClient, make_patient: Callable[..., User]
) -> None:
    app.config["COURSE_LOGIN_LIMIT_ACCOUNT"] = "3 per minute"
    make_patient(email="pat@example.org")
    typed = ["pat@example.org", "PAT@Example.ORG", "  pat@example.org\t", " Pat@EXAMPLE.org "]
    answers = [
        client.post("/auth/login", data={"email": email, "password": "wrong guess"}).status_code
        for email in typed
    ]
    assert answers == [422, 422, 422, 429]
    # Another account's bucket is its own.
    other = client.post("/auth/login", data={"email": "other@example.org", "password": "wrong guess"})
    assert other.status_code == 422


def test_the_limiter_never_stores_the_typed_email(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys: list[str] = []
    storage = limiter.storage
    for name in ("incr", "get", "acquire_entry", "acquire_sliding_window_entry", "get_moving_window"):
        method = getattr(storage, name, None)
        if method is not None:
            monkeypatch.setattr(storage, name, _recording(method, keys))
    client.post("/auth/login", data={"email": " Someone@Example.org", "password": "wrong guess"})
    assert any("login" in key for key in keys), keys  # the account's bucket was counted
    for key in keys:
        assert "someone" not in key.lower()
        assert "example.org" not in key.lower()


def _recording(method: Callable[..., Any], keys: list[str]) -> Callable[..., Any]:
    def record(key: str, *args: Any, **kwargs: Any) -> Any:
        keys.append(key)
        return method(key, *args, **kwargs)

    return record
