"""Recorded guides in the content format (course/content/media.py): a lesson or practice step may name an
audio file in its module's media/ folder; the loader (and so `flask check`) reports a missing file, a file
that is not audio, a step without a transcript and a media file nobody uses."""

from __future__ import annotations

import os
import shutil
import subprocess  # nosec B404
import sys
from pathlib import Path

import pytest

from course.assets import fingerprinted
from course.content.loader import load_catalog
from course.content.media import audio_type
from tests.content.conftest import edit, problems

REAL_PROGRAM = Path(__file__).parent.parent.parent / "modules"
PROJECT = Path(__file__).parent.parent.parent


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"ID3\x04\x00\x00\x00\x00\x00\x00\x00\x00", "audio/mpeg"),
        (b"\xff\xfb\x90\x64\x00\x00\x00\x00\x00\x00\x00\x00", "audio/mpeg"),
        (b"OggS\x00\x02\x00\x00\x00\x00\x00\x00", "audio/ogg"),
        (b"RIFF\x24\x08\x00\x00WAVEfmt ", "audio/wav"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00", "audio/mp4"),
        (b"<!doctype html><html>", None),
        (b"RIFF\x24\x08\x00\x00AVI LIST", None),
        (b"", None),
    ],
)
def test_audio_type_is_judged_by_first_bytes(head: bytes, kind: str | None) -> None:
    assert audio_type(head) == kind


def test_guide_has_fingerprinted_name_type_and_size(program: Path) -> None:
    catalog = load_catalog(program)
    data = (program / "first" / "media" / "guide.wav").read_bytes()
    step = catalog.module("first").step("intro")  # type: ignore[union-attr]
    assert step is not None
    assert step.audio is not None
    assert step.audio.name == fingerprinted("guide.wav", data)
    assert step.audio.name != "guide.wav"
    assert (step.audio.kind, step.audio.size) == ("audio/wav", len(data))
    assert Path(step.audio.file) == (program / "first" / "media" / "guide.wav").resolve()
    # Steps without a guide have none.
    assert catalog.module("first").step("alarm").audio is None  # type: ignore[union-attr]


def test_missing_audio_file_is_reported_at_its_line(program: Path) -> None:
    (program / "first" / "media" / "guide.wav").unlink()
    assert problems(program) == ["modules/first/module.yaml:15: audio file 'media/guide.wav' does not exist"]


def test_file_that_is_not_audio_is_reported(program: Path) -> None:
    (program / "first" / "media" / "guide.wav").write_text("<html>a web page saved by mistake</html>")
    assert problems(program) == [
        "modules/first/module.yaml:15: 'media/guide.wav' is not an audio file "
        "(MP3, Ogg, WAV or M4A, judged by its first bytes)"
    ]


def test_practice_without_script_has_no_transcript(program: Path) -> None:
    edit(program / "second" / "module.yaml", "script: Breathe slowly.", 'script: " "')
    found = problems(program)
    assert any(
        "the audio of step 'breathe' needs its transcript: the step's own text" in problem
        for problem in found
    ), found


def test_unused_media_file_is_reported(program: Path) -> None:
    shutil.copy(program / "first" / "media" / "guide.wav", program / "first" / "media" / "old-take.wav")
    (program / "first" / "media" / ".gitkeep").write_text("")  # hidden files are left alone
    assert problems(program) == [
        "modules/first/media/old-take.wav:1: no step names this media file; remove it"
    ]


def test_a_guide_no_longer_named_leaves_its_file_unused(program: Path) -> None:
    edit(program / "second" / "module.yaml", "    audio: media/guide.wav\n", "")
    assert problems(program) == ["modules/second/media/guide.wav:1: no step names this media file; remove it"]


@pytest.mark.parametrize("named", ["guide.wav", "../first/media/guide.wav", "media/../module.yaml", "media/"])
def test_audio_must_be_a_file_in_the_modules_media_folder(program: Path, named: str) -> None:
    edit(program / "first" / "module.yaml", "audio: media/guide.wav", f"audio: {named!r}")
    found = problems(program)
    assert (
        "modules/first/module.yaml:15: the audio of step 'intro' must name a file in the module's media/ "
        "folder, like media/guide.mp3" in found
    ), found


def test_audio_only_on_lessons_and_practices(program: Path) -> None:
    edit(
        program / "first" / "module.yaml", "title: Reflect\n", "title: Reflect\n    audio: media/guide.wav\n"
    )
    found = problems(program)
    assert any("unknown key 'audio' in step 'reflect'" in problem for problem in found), found


def test_demo_ships_a_small_recorded_guide_for_somatic_tracking() -> None:
    """A newcomer can press play: the real program has a guide (loaded, so audio with a transcript), on the
    somatic tracking practice, small enough for a phone on a slow line."""
    catalog = load_catalog(REAL_PROGRAM)
    guides = [step for module in catalog.modules for step in module.steps if step.audio is not None]
    assert "first-tracking" in [step.id for step in guides]
    for step in guides:
        assert step.audio is not None
        assert step.audio.size < 1024 * 1024, step.id


def test_flask_check_reports_every_audio_problem(program: Path, tmp_path: Path) -> None:
    """`flask check` names each problem with its file and line, and fails."""
    (program / "first" / "media" / "guide.wav").unlink()  # missing
    (program / "second" / "media" / "guide.wav").write_bytes(b"not audio at all")  # not audio
    edit(program / "second" / "module.yaml", "script: Breathe slowly.", 'script: " "')  # no transcript
    (program / "second" / "media" / "unused.ogg").write_bytes(b"OggS" + bytes(60))  # nobody uses it
    environment = {
        **os.environ,
        "COURSE_CONTENT_DIR": str(program),
        "COURSE_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'check.sqlite3'}",
        "COURSE_INSTANCE_PATH": str(tmp_path),
    }
    result = subprocess.run(  # nosec B603
        [sys.executable, "-m", "flask", "--app", "course", "check"],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    for expected in (
        "modules/first/module.yaml:15: audio file 'media/guide.wav' does not exist",
        "'media/guide.wav' is not an audio file",
        "the audio of step 'breathe' needs its transcript",
        "modules/second/media/unused.ogg:1: no step names this media file; remove it",
    ):
        assert expected in output, output
