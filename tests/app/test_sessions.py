"""Session cookies are verified once per process, and what a request sees must stay what a fresh verification
would give; CSRF tokens are Flask-WTF's, signed per page from one secret per sign-in."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import itsdangerous.timed
import pytest
from flask import Flask, session

import course.sessions
from course.models import User
from course.sessions import RememberingSessionInterface
from tests.conftest import sign_in_as


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "WTF_CSRF_ENABLED": True}


class ShiftedTime:
    """time.time moved forward, for this module and itsdangerous alike."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import time as real_time

        self.offset = 0.0
        self._real = real_time.time
        monkeypatch.setattr(course.sessions, "time", self)
        monkeypatch.setattr(itsdangerous.timed, "time", self)

    def time(self) -> float:
        return self._real() + self.offset


def token_from(page: bytes) -> str:
    match = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, page[:300]
    return match.group(1).decode()


def cookie_of(client: Any, app: Flask) -> str:
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie is not None
    return str(cookie.value)


def count_verifications(monkeypatch: pytest.MonkeyPatch, interface: RememberingSessionInterface) -> list[str]:
    calls: list[str] = []
    serializer = interface.get_signing_serializer  # the real one, built once per key
    original = serializer.__func__  # type: ignore[attr-defined]

    def counting(self: Any, app: Flask) -> Any:
        found = original(self, app)

        class Counting:
            def __getattr__(self, name: str) -> Any:
                return getattr(found, name)

            def loads(self, *args: Any, **kwargs: Any) -> Any:
                calls.append(args[0])
                return found.loads(*args, **kwargs)

        return Counting()

    monkeypatch.setattr(RememberingSessionInterface, "get_signing_serializer", counting)
    return calls


def test_a_verified_cookie_is_not_verified_again_and_gives_the_same_session(
    app: Flask,
    client: Any,
    make_patient: Callable[..., User],
    login: Callable[[User], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patient = make_patient()
    login(patient)
    assert client.get("/learn/").status_code == 200  # the page adds the CSRF secret: a new cookie
    interface = app.session_interface
    assert isinstance(interface, RememberingSessionInterface)
    calls = count_verifications(monkeypatch, interface)
    for _ in range(3):
        assert client.get("/learn/").status_code == 200
    assert len(calls) <= 1  # verified once at most (it may already be remembered from the response)
    with client.session_transaction() as current:
        assert current["_user_id"] == patient.get_id()


def test_a_tampered_cookie_is_refused_every_time(
    app: Flask, client: Any, make_patient: Callable[..., User], login: Callable[[User], None]
) -> None:
    login(make_patient())
    assert client.get("/learn/").status_code == 200
    value = cookie_of(client, app)
    payload, _, signature = value.rpartition(".")
    forged = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    client.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), forged)
    for _ in range(2):
        response = client.get("/learn/")
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]


def test_a_remembered_cookie_still_expires_with_the_session_lifetime(
    app: Flask,
    client: Any,
    make_patient: Callable[..., User],
    login: Callable[[User], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = ShiftedTime(monkeypatch)
    login(make_patient())
    assert client.get("/learn/").status_code == 200
    assert client.get("/learn/").status_code == 200  # now remembered
    clock.offset = app.permanent_session_lifetime.total_seconds() + 60
    response = client.get("/learn/")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_sessions_holding_lists_are_not_remembered_so_no_request_changes_another(
    app: Flask, client: Any, make_patient: Callable[..., User], login: Callable[[User], None]
) -> None:
    login(make_patient())
    with client.session_transaction() as current:
        current["_flashes"] = [("success", "Saved.")]
    value = cookie_of(client, app)
    interface = app.session_interface
    assert isinstance(interface, RememberingSessionInterface)
    with app.test_request_context(headers={"Cookie": f"session={value}"}):
        first = session._get_current_object()  # type: ignore[attr-defined]
        first["_flashes"].append(("info", "changed in place"))
    with app.test_request_context(headers={"Cookie": f"session={value}"}):
        assert session["_flashes"] == [("success", "Saved.")]
    assert value not in interface._verified


def test_a_new_secret_key_forgets_what_was_verified(
    app: Flask, client: Any, make_patient: Callable[..., User], login: Callable[[User], None]
) -> None:
    login(make_patient())
    assert client.get("/learn/").status_code == 200
    assert client.get("/learn/").status_code == 200
    app.secret_key = "another-secret-key"
    response = client.get("/learn/")
    assert response.status_code == 302  # the old cookie's signature no longer matches


def test_the_least_recently_used_cookie_is_forgotten_first_when_the_memory_is_full(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(course.sessions, "REMEMBERED_COOKIES", 2)
    interface = RememberingSessionInterface()
    serializer = interface.get_signing_serializer(app)
    assert serializer is not None
    cookies = [serializer.dumps({"n": n}) for n in range(3)]

    for cookie in (cookies[0], cookies[1], cookies[0], cookies[2]):
        with app.test_request_context(headers={"Cookie": f"session={cookie}"}) as context:
            found = interface.open_session(app, context.request)
            assert found is not None
            assert found["n"] == cookies.index(cookie)
    assert cookies[0] in interface._verified  # used again before the third came
    assert cookies[1] not in interface._verified
    assert cookies[2] in interface._verified


def test_every_pages_csrf_token_is_accepted_until_flask_wtfs_time_limit(
    app: Flask,
    client: Any,
    make_patient: Callable[..., User],
    login: Callable[[User], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A patient with two tabs open posts from the older one: its token, signed from the same secret in the
    # session, is still good. (Tokens used to be reused across pages to save signing one; now every page
    # signs its own through Flask-WTF's generate_csrf.)
    clock = ShiftedTime(monkeypatch)
    login(make_patient())
    first = token_from(client.get("/learn/").data)
    clock.offset = 2  # the signing time is in whole seconds
    later = token_from(client.get("/learn/").data)
    assert later != first
    for token in (first, later):
        response = client.post("/checkin", data={"csrf_token": token, "pain": "4"})
        assert response.status_code in (200, 302), response.data[:300]
    clock.offset = app.config["WTF_CSRF_TIME_LIMIT"] + 60
    assert client.post("/checkin", data={"csrf_token": first, "pain": "4"}).status_code == 400


def test_csrf_tokens_are_never_shared_between_sessions(app: Flask, make_patient: Callable[..., User]) -> None:
    tokens = []
    for _ in range(2):
        client = app.test_client()
        sign_in_as(app, client, make_patient())
        tokens.append(token_from(client.get("/learn/").data))
    assert tokens[0] != tokens[1]
