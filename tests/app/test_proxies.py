"""Behind a reverse proxy: the client's address and scheme come from the trusted hops only."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask, request

from course import create_app
from course.db import dispose
from course.models import User
from tests.conftest import TEST_PASSWORD

PROXY = "10.0.0.2"  # the address the app sees the proxy connect from


@pytest.fixture
def make_app(app_config: dict[str, Any]) -> Iterator[Callable[..., Flask]]:
    made: list[Flask] = []

    def make(proxies: int, **config: Any) -> Flask:
        app = create_app({**app_config, "COURSE_TRUSTED_PROXIES": proxies, **config})

        @app.get("/whoami")
        def whoami() -> dict[str, Any]:
            return {"address": request.remote_addr, "scheme": request.scheme, "secure": request.is_secure}

        made.append(app)
        return app

    yield make
    for app in made:
        dispose(app)


def seen(app: Flask, forwarded_for: str | None = None, proto: str | None = None) -> dict[str, Any]:
    headers = {}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    if proto is not None:
        headers["X-Forwarded-Proto"] = proto
    client = app.test_client()
    response = client.get("/whoami", headers=headers, environ_base={"REMOTE_ADDR": PROXY})
    found: dict[str, Any] = response.get_json()
    return found


def test_trusted_proxy_gives_the_clients_address_and_scheme(make_app: Callable[..., Flask]) -> None:
    app = make_app(1)
    assert seen(app, "203.0.113.7", "https") == {"address": "203.0.113.7", "scheme": "https", "secure": True}


def test_forwarded_for_written_before_the_trusted_proxy_is_ignored(make_app: Callable[..., Flask]) -> None:
    # A client sends its own X-Forwarded-For; the proxy appends the address it saw.
    assert seen(make_app(1), "198.51.100.66, 203.0.113.7")["address"] == "203.0.113.7"
    # Two proxies (a load balancer, then Caddy): the second entry from the end is the client.
    assert seen(make_app(2), "198.51.100.66, 203.0.113.7, 10.0.0.1")["address"] == "203.0.113.7"


def test_without_trusted_proxies_forwarded_headers_are_ignored(make_app: Callable[..., Flask]) -> None:
    assert seen(make_app(0), "203.0.113.7", "https") == {"address": PROXY, "scheme": "http", "secure": False}


def test_negative_trusted_proxies_refused_in_one_line(app_config: dict[str, Any]) -> None:
    with pytest.raises(SystemExit) as stopped:
        create_app({**app_config, "COURSE_TRUSTED_PROXIES": -1})
    assert str(stopped.value.code) == "course: COURSE_TRUSTED_PROXIES must be 0 or more, not -1."


def test_sign_in_limit_counts_per_client_behind_the_proxy(make_app: Callable[..., Flask]) -> None:
    app = make_app(1, COURSE_LOGIN_LIMIT_ADDRESS="3 per minute")
    client = app.test_client()

    def attempt(forwarded_for: str, n: int) -> int:
        response = client.post(
            "/auth/login",
            data={"email": f"person{n}@example.org", "password": "wrong password!"},
            headers={"X-Forwarded-For": forwarded_for},
            environ_base={"REMOTE_ADDR": PROXY},
        )
        return response.status_code

    assert [attempt("203.0.113.7", n) for n in range(4)] == [422, 422, 422, 429]
    # Another client behind the same proxy is not locked out with the first.
    assert attempt("203.0.113.8", 10) == 422
    # Nor does the first get a fresh allowance by writing other addresses before the proxy's entry.
    assert [attempt(f"198.51.100.{n}, 203.0.113.7", n) for n in range(3)] == [429, 429, 429]


def test_https_through_the_proxy_checks_the_referrer_of_a_post(
    make_app: Callable[..., Flask], make_therapist: Callable[..., User]
) -> None:
    app = make_app(1, WTF_CSRF_ENABLED=True)
    therapist = make_therapist()
    client = app.test_client()
    proxied = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    page = client.get("/auth/login", headers=proxied, environ_base={"REMOTE_ADDR": PROXY})
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data)
    assert token is not None
    form = {"email": therapist.email, "password": TEST_PASSWORD, "csrf_token": token.group(1).decode()}

    def post(headers: dict[str, str]) -> int:
        response = client.post(
            "/auth/login", data=form, headers={**proxied, **headers}, environ_base={"REMOTE_ADDR": PROXY}
        )
        return response.status_code

    # Flask-WTF's check of the Referer runs only for secure requests: the proxy's X-Forwarded-Proto.
    assert post({"Referer": "https://elsewhere.example/auth/login"}) == 400
    assert post({"Referer": "https://localhost/auth/login"}) == 302
