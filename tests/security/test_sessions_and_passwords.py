"""Sign-in limits, sessions, passwords, headers."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from course import create_app
from course.accounts import password_problem
from course.clock import FrozenClock
from course.db import dispose
from course.models import User
from tests.conftest import TEST_PASSWORD, sign_in_as

COURSE = Path(__file__).resolve().parents[2] / "course"


def attempt(client: Any, email: str, password: str = "wrong password!") -> Any:
    return client.post("/auth/login", data={"email": email, "password": password})


def test_login_rate_limited_per_account_without_revealing_existence(
    client: Any, make_therapist: Callable[..., User]
) -> None:
    therapist = make_therapist()
    for email in (therapist.email, "nobody@example.org"):
        codes = [attempt(client, email).status_code for _ in range(6)]
        assert codes == [422, 422, 422, 422, 422, 429], email
    limited = attempt(client, therapist.email, TEST_PASSWORD)
    assert limited.status_code == 429
    assert "Please wait a moment" in limited.data.decode()
    assert attempt(client, "someone.else@example.org").status_code == 422  # another account is not blocked


def limit_methods(root: Path) -> dict[str, Any]:
    """The `methods=` of every `limiter.limit(...)` and `limiter.shared_limit(...)` written under `root`, by
    file:line (None where a declaration names no methods)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("limit", "shared_limit")
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "limiter"
            ):
                methods = next((k.value for k in node.keywords if k.arg == "methods"), None)
                where = f"{path.relative_to(root.parent)}:{node.lineno}"
                found[where] = ast.literal_eval(methods) if methods is not None else None
    return found


def test_every_rate_limit_guards_posts_only_so_pages_can_skip_the_limiter() -> None:
    # course.extensions exempts GET/HEAD/OPTIONS from the limiter; a limit on a read would be silently off.
    # Read from the source, so the test needs nothing of Flask-Limiter beyond its documented decorators.
    declared = limit_methods(COURSE)
    assert (
        len(declared) >= 11
    )  # sign-in (2), reset, verify (2), enrol, passkeys (2), password checks (2), messages
    assert {where: methods for where, methods in declared.items() if methods != ["POST"]} == {}


def test_the_limit_reader_sees_a_limit_on_a_read(tmp_path: Path) -> None:
    (tmp_path / "views.py").write_text(
        "@limiter.limit('1 per day')\ndef page():\n    pass\n\n"
        "@limiter.shared_limit('1 per day', scope='x', methods=['GET', 'POST'])\ndef other():\n    pass\n"
    )
    assert sorted(limit_methods(tmp_path).values(), key=str) == [None, ["GET", "POST"]]


def test_reads_never_count_towards_a_limit(app: Flask, client: Any) -> None:
    app.config["COURSE_LOGIN_LIMIT_ADDRESS"] = "3 per minute"
    for _ in range(5):
        for method in ("GET", "HEAD", "OPTIONS"):
            assert client.open("/auth/login", method=method).status_code in (200, 204)
    codes = [attempt(client, f"nobody{n}@example.org").status_code for n in range(4)]
    assert codes == [422, 422, 422, 429]


def test_the_limiter_still_limits_after_a_page_was_read(client: Any) -> None:
    for _ in range(5):
        client.get("/auth/login")
        attempt(client, "nobody@example.org")
    assert attempt(client, "nobody@example.org").status_code == 429


def test_sign_in_page_still_shown_while_its_posts_are_limited(client: Any) -> None:
    assert [attempt(client, "nobody@example.org").status_code for _ in range(6)][-1] == 429
    assert client.get("/auth/login").status_code == 200


def test_login_successes_do_not_count_towards_the_limit(
    client: Any, make_therapist: Callable[..., User]
) -> None:
    therapist = make_therapist()
    for _ in range(8):
        assert attempt(client, therapist.email, TEST_PASSWORD).status_code == 302
        client.post("/auth/logout")


def test_login_rate_limited_per_address(app: Flask, client: Any) -> None:
    app.config["COURSE_LOGIN_LIMIT_ADDRESS"] = "3 per minute"
    codes = [attempt(client, f"person{i}@example.org").status_code for i in range(4)]
    assert codes == [422, 422, 422, 429]


def test_sign_in_starts_a_fresh_session(client: Any, make_patient: Callable[..., User]) -> None:
    therapist = make_patient()
    with client.session_transaction() as session:
        session["planted"] = "from before sign-in"
    attempt(client, therapist.email, TEST_PASSWORD)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == therapist.get_id()


def test_staff_idle_timeout_signs_out_but_patients_stay(
    app: Flask,
    client: Any,
    make_therapist: Callable[..., User],
    make_patient: Callable[..., User],
    login: Callable[[User], None],
    clock: FrozenClock,
) -> None:
    login(make_therapist())
    assert client.get("/clinic/").status_code == 200
    clock.advance(minutes=29)
    assert client.get("/clinic/").status_code == 200
    clock.advance(minutes=31)
    response = client.get("/clinic/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    patient_browser = app.test_client()
    sign_in_as(app, patient_browser, make_patient())
    assert patient_browser.get("/learn/").status_code == 200
    clock.advance(hours=5)
    assert patient_browser.get("/learn/").status_code == 200


def test_staff_activity_is_noted_at_most_once_a_minute_and_keeps_the_session(
    client: Any, make_therapist: Callable[..., User], login: Callable[[User], None], clock: FrozenClock
) -> None:
    login(make_therapist())
    assert "Set-Cookie" in client.get("/clinic/").headers  # activity noted
    clock.advance(seconds=30)
    assert "Set-Cookie" not in client.get("/clinic/").headers  # the same minute: the cookie stays as it is
    clock.advance(seconds=31)
    assert "Set-Cookie" in client.get("/clinic/").headers
    for _ in range(3):  # active every 20 minutes: never idle for 30
        clock.advance(minutes=20)
        assert client.get("/clinic/").status_code == 200
    clock.advance(minutes=31)
    assert client.get("/clinic/").status_code == 302


@pytest.mark.parametrize("password", ["short", "password123", "Qwertyuiop", "aaaaaaaaaaaa", "demo-password"])
def test_password_policy_refuses_weak_passwords(password: str) -> None:
    assert password_problem(password) is not None


def test_password_policy_accepts_a_passphrase() -> None:
    assert password_problem("purple kettle morning") is None


def test_change_password_signs_out_other_devices_only(
    app: Flask, client: Any, make_patient: Callable[..., User], login: Callable[[User], None]
) -> None:
    patient = make_patient()
    login(patient)
    other = app.test_client()
    sign_in_as(app, other, patient)
    wrong = client.post(
        "/account/password",
        data={"current": "nope", "password": "purple kettle morning", "confirm": "purple kettle morning"},
    )
    assert wrong.status_code == 422
    assert "That is not your current password." in wrong.data.decode()
    common = client.post(
        "/account/password",
        data={"current": TEST_PASSWORD, "password": "password123", "confirm": "password123"},
    )
    assert "very common" in common.data.decode()
    done = client.post(
        "/account/password",
        data={
            "current": TEST_PASSWORD,
            "password": "purple kettle morning",
            "confirm": "purple kettle morning",
        },
    )
    assert done.status_code == 302
    assert client.get("/learn/").status_code == 200
    assert other.get("/learn/").status_code == 302


def test_secure_cookies_and_hsts_in_production(
    app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    production = create_app({**app_config, "TESTING": False, "COURSE_ENV": "production"})
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["SESSION_COOKIE_HTTPONLY"] is True
    assert production.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = production.test_client().get("/auth/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    dispose(production)


def test_a_long_password_is_judged_not_refused_with_an_error() -> None:
    # zxcvbn 4.5 raises ValueError past 72 characters; the form allows much longer passphrases.
    assert password_problem("purple kettle morning " * 8) is None
    assert password_problem("a" * 200) is not None
