"""A step's recorded guide is served to a patient who may open the step: with range requests (a phone seeks),
cached for a year under a name that changes with the content, and never fetched before play."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from course.assets import fingerprinted
from course.models import User

FIXTURE = Path(__file__).parent.parent / "fixtures" / "program"
WAV = (FIXTURE / "first" / "media" / "guide.wav").read_bytes()
NAME = fingerprinted("guide.wav", WAV)
URL = f"/learn/first/intro/audio/{NAME}"


def test_guide_is_served_whole_with_a_long_private_cache(
    client: Any, make_patient: Callable[..., User], login: Callable[[User], None]
) -> None:
    login(make_patient())
    response = client.get(URL)
    assert response.status_code == 200
    assert response.data == WAV
    assert response.mimetype == "audio/wav"
    assert response.headers["Accept-Ranges"] == "bytes"
    cache = response.cache_control
    assert cache.max_age == 365 * 24 * 3600
    assert cache.immutable
    assert cache.private
    assert not cache.public
    assert not cache.no_store


def test_range_request_answers_206_with_exactly_those_bytes(
    client: Any, make_patient: Callable[..., User], login: Callable[[User], None]
) -> None:
    login(make_patient())
    response = client.get(URL, headers={"Range": "bytes=100-1099"})
    assert response.status_code == 206
    assert response.data == WAV[100:1100]
    assert response.headers["Content-Range"] == f"bytes 100-1099/{len(WAV)}"
    assert response.headers["Content-Length"] == "1000"
    tail = client.get(URL, headers={"Range": "bytes=-44"})
    assert tail.status_code == 206
    assert tail.data == WAV[-44:]
    beyond = client.get(URL, headers={"Range": f"bytes={len(WAV) + 10}-"})
    assert beyond.status_code == 416


def test_stale_or_unknown_names_are_not_found(
    client: Any, make_patient: Callable[..., User], login: Callable[[User], None]
) -> None:
    """An old fingerprint, the plain file name, a step without a guide, another file: 404."""
    login(make_patient())
    for url in (
        "/learn/first/intro/audio/guide.wav",
        "/learn/first/intro/audio/guide.000000000000.wav",
        f"/learn/first/alarm/audio/{NAME}",
        "/learn/first/intro/audio/..%2Fintro.md",
        f"/learn/first/nothing/audio/{NAME}",
    ):
        assert client.get(url).status_code == 404, url


def test_guide_of_a_locked_step_is_refused(
    client: Any, make_patient: Callable[..., User], login: Callable[[User], None]
) -> None:
    login(make_patient())
    assert client.get(f"/learn/second/breathe/audio/{NAME}").status_code == 403


def test_step_page_offers_the_guide_without_loading_it(
    app: Flask, client: Any, make_patient: Callable[..., User], login: Callable[[User], None]
) -> None:
    """The player waits for a press (preload="none") and every audio element of every step says so."""
    login(make_patient())
    html = client.get("/learn/first/intro").data.decode()
    players = re.findall(r"<audio\b[^>]*>", html)
    assert len(players) == 1, html
    assert 'preload="none"' in players[0]
    assert f'src="{URL}"' in players[0]
