"""Templates build URLs through a per-process memory of url_for: the same URLs, built once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, url_for

from course.models import User

CASES: list[tuple[str, dict[str, Any]]] = [
    ("learn.home", {}),
    ("static", {"filename": "app.css"}),
    ("learn.module", {"slug": "first"}),
    ("learn.step", {"slug": "first", "step_id": "intro"}),
    ("learn.module", {"slug": "a b/ü?"}),
    ("journal.entry", {"entry_id": 7}),
    ("auth.login", {"next": "/learn/?x=1&y=2"}),
]


@pytest.mark.parametrize("script_root", ["", "/clinic-a"])
def test_template_url_for_same_as_flask_for_each_mount_point(app: Flask, script_root: str) -> None:
    remembered = app.jinja_env.globals["url_for"]
    for _ in range(2):  # the second time comes from memory
        with app.test_request_context("/", base_url=f"http://localhost{script_root}/"):
            for endpoint, values in CASES:
                assert remembered(endpoint, **values) == url_for(endpoint, **values)
                assert remembered(endpoint, **values).startswith(f"{script_root}/")


def test_template_url_for_remembered_at_one_mount_point_is_not_reused_at_another(app: Flask) -> None:
    remembered = app.jinja_env.globals["url_for"]
    with app.test_request_context("/"):
        assert remembered("learn.home") == "/learn/"
    with app.test_request_context("/", base_url="http://localhost/prefix/"):
        assert remembered("learn.home") == "/prefix/learn/"


def test_template_url_for_special_arguments_and_relative_endpoints_still_work(app: Flask) -> None:
    remembered = app.jinja_env.globals["url_for"]
    with app.test_request_context("/learn/"):
        assert remembered("learn.home", _anchor="today") == "/learn/#today"
        assert remembered("learn.home", _external=True) == "http://localhost/learn/"
        assert remembered("learn.step", slug="first", step_id="intro", tags=["a", "b"]) == url_for(
            "learn.step", slug="first", step_id="intro", tags=["a", "b"]
        )


def test_template_url_for_equal_but_different_values_get_their_own_links(app: Flask) -> None:
    remembered = app.jinja_env.globals["url_for"]
    with app.test_request_context("/"):
        links = [remembered("learn.home", page=value) for value in (1, True, 1.0, "1")]
    assert links == ["/learn/?page=1", "/learn/?page=True", "/learn/?page=1.0", "/learn/?page=1"]


def test_pages_rendered_under_a_mount_point_link_within_it(
    app: Flask, client: Any, make_patient: Callable[..., User], login: Callable[[User], None]
) -> None:
    login(make_patient())
    assert 'href="/learn/first"' in client.get("/learn/").data.decode()
    mounted = client.get("/learn/", base_url="http://localhost/prefix/").data.decode()
    assert 'href="/prefix/learn/first"' in mounted
    assert 'href="/learn/first"' not in mounted


def test_template_url_for_outside_a_request_builds_like_flask(app: Flask) -> None:
    app.config["SERVER_NAME"] = "course.example.org"
    with app.app_context():
        page = app.jinja_env.from_string("{{ url_for('learn.home') }} {{ url_for('learn.home') }}").render()
        assert page == f"{url_for('learn.home')} {url_for('learn.home')}"
