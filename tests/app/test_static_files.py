"""Static files under fingerprinted names: a new release never serves last release's CSS or JS."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask, url_for

from course import assets


def test_a_static_url_names_the_files_content(app: Flask) -> None:
    css = (Path(app.static_folder or "") / "app.css").read_bytes()
    with app.test_request_context():
        link = url_for("static", filename="app.css")
    assert link == f"/static/{assets.fingerprinted('app.css', css)}"
    assert re.fullmatch(r"/static/app\.[0-9a-f]{12}\.css", link)


def test_pages_link_the_fingerprinted_files(client: Any, app: Flask) -> None:
    page = client.get("/auth/login").data.decode()
    for name in ("app.css", "app.js"):
        assert f'"/static/{app.static_names[name]}"' in page  # type: ignore[attr-defined]
        assert f'"/static/{name}"' not in page


def test_a_fingerprinted_file_is_cached_for_a_year_and_the_plain_name_is_checked(
    client: Any, app: Flask
) -> None:
    name = app.static_names["app.css"]  # type: ignore[attr-defined]
    with client.get(f"/static/{name}") as fingerprinted, client.get("/static/app.css") as plain:
        assert fingerprinted.status_code == plain.status_code == 200
        assert fingerprinted.data == plain.data
        assert fingerprinted.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "immutable" not in plain.headers.get("Cache-Control", "")


def test_last_releases_name_is_not_found_rather_than_given_new_content(client: Any) -> None:
    assert client.get("/static/app.0123456789ab.css").status_code == 404


def test_any_change_of_content_changes_the_name() -> None:
    first = assets.fingerprinted("css/app.css", b"body { color: black }")
    second = assets.fingerprinted("css/app.css", b"body { color: #111 }")
    assert first != second
    assert first.startswith("css/app.")
    assert first.endswith(".css")
    assert assets.looks_fingerprinted(first)
    assert not assets.looks_fingerprinted("css/app.css")
    assert assets.fingerprinted("LICENSE", b"x").startswith("LICENSE.")


def test_publish_adds_new_names_and_keeps_the_previous_releases(tmp_path: Path) -> None:
    source, target = tmp_path / "static", tmp_path / "public"
    source.mkdir()
    (source / "app.css").write_text("body { color: black }")
    first = assets.publish(source, target)
    (source / "app.css").write_text("body { color: #111 }")
    second = assets.publish(source, target)
    assert assets.publish(source, target) == []  # nothing new to write
    assert len(first) == len(second) == 1
    assert {p.name for p in target.iterdir()} == {first[0], second[0]}
    assert (target / second[0]).read_text() == "body { color: #111 }"


def test_static_files_command_publishes_for_caddy(runner: Any, app: Flask, tmp_path: Path) -> None:
    result = runner.invoke(args=["static-files", str(tmp_path / "public")])
    assert result.exit_code == 0, result.output
    for name in app.static_names.values():  # type: ignore[attr-defined]
        assert (tmp_path / "public" / "static" / name).is_file()
    assert f"{len(app.static_names)} files written" in result.output  # type: ignore[attr-defined]
