"""CSRF protection is on in production; this module runs with it enabled."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from course.models import User
from tests.conftest import TEST_PASSWORD, sign_in_as


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "WTF_CSRF_ENABLED": True}


def token_from(page: bytes) -> str:
    match = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1).decode()


def test_csrf_login_without_token_is_refused_kindly(client: Any, make_therapist: Callable[..., User]) -> None:
    therapist = make_therapist()
    response = client.post("/auth/login", data={"email": therapist.email, "password": TEST_PASSWORD})
    assert response.status_code == 400
    page = response.data.decode()
    assert "this page needed refreshing" in page
    assert f'value="{therapist.email}"' in page  # the form again, with what was typed
    assert TEST_PASSWORD not in page
    assert "CSRF" not in page
    assert client.get("/clinic/").status_code == 302  # not signed in


def test_csrf_login_with_token_works(client: Any, make_therapist: Callable[..., User]) -> None:
    therapist = make_therapist()
    token = token_from(client.get("/auth/login").data)
    response = client.post(
        "/auth/login", data={"email": therapist.email, "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_csrf_step_post_without_token_changes_nothing(
    app: Flask, client: Any, make_patient: Callable[..., User], login: Callable[[User], None]
) -> None:
    login(make_patient())
    assert client.post("/learn/first/intro", data={"submit": "y"}).status_code == 400
    assert client.get("/learn/first/alarm").status_code == 403  # the lesson was not completed


def test_csrf_step_post_with_the_pages_token_saves_and_moves_on(
    client: Any, make_patient: Callable[..., User], login: Callable[[User], None]
) -> None:
    """The step's form has no token field; the token the page writes is checked by CSRFProtect."""
    login(make_patient())
    token = token_from(client.get("/learn/first/intro").data)
    assert client.post("/learn/first/intro", data={"submit": "y", "csrf_token": token}).status_code == 302
    assert client.get("/learn/first/alarm").status_code == 200  # the lesson was completed
    assert client.post("/learn/first/alarm", data={"submit": "y", "csrf_token": "forged"}).status_code == 400


def test_csrf_sign_out_needs_token(
    client: Any, make_therapist: Callable[..., User], login: Callable[[User], None]
) -> None:
    login(make_therapist())
    client.post("/auth/logout")
    assert client.get("/clinic/").status_code == 200


def test_csrf_sign_out_token_from_a_patient_page_signs_out(
    client: Any, make_patient: Callable[..., User], login: Callable[[User], None]
) -> None:
    login(make_patient())
    page = client.get("/learn/first/intro").data
    # The header's sign-out form and the step's form carry the same token, written without a form object.
    tokens = re.findall(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert len(tokens) == 2
    assert len(set(tokens)) == 1
    assert client.post("/auth/logout", data={"csrf_token": token_from(page)}).status_code == 302
    assert client.get("/learn/").status_code == 302  # signed out: back to the sign-in page


def test_patient_pages_read_without_rewriting_the_session_cookie(
    client: Any, make_patient: Callable[..., User]
) -> None:
    patient = make_patient()
    token = token_from(client.get("/auth/login").data)
    data = {"email": patient.email, "password": TEST_PASSWORD, "csrf_token": token}
    assert client.post("/auth/login", data=data).status_code == 302
    client.get("/learn/")  # the first page after sign-in stores a fresh CSRF secret in the session
    for path in ("/learn/", "/learn/first", "/learn/first/intro", "/learn/"):
        response = client.get(path)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers, path


def test_each_role_sees_its_own_navigation_with_its_own_sign_out_token(
    app: Flask,
    make_patient: Callable[..., User],
    make_therapist: Callable[..., User],
    make_admin: Callable[..., User],
) -> None:
    """The navigation is rendered once per role; each page fills in the session's own token."""
    pages = {"patient": "/learn/", "therapist": "/clinic/", "admin": "/admin/"}
    links = {"patient": b">Check-in<", "therapist": b">Alerts<", "admin": b">Deletions<"}
    users = {"patient": make_patient(), "therapist": make_therapist(), "admin": make_admin()}
    tokens = set()
    for _round in range(2):  # the second time from what was rendered once
        for role, user in users.items():
            client = app.test_client()
            sign_in_as(app, client, user)
            response = client.get(pages[role])
            assert response.status_code == 200
            page = response.data
            nav = page[page.index(b'<nav aria-label="Main">') : page.index(b"</nav>")]
            for other, link in links.items():
                assert (link in nav) == (other == role), (role, other)
            token = token_from(nav)
            tokens.add(token)
            assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
            assert client.get(pages[role]).status_code == 302  # signed out
    assert len(tokens) == 6  # every session its own
