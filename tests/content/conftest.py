"""What the content tests share: a writable copy of the fixture program, its problems, and an exact edit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from course.content.loader import ContentError, load_catalog

FIXTURE = Path(__file__).parent.parent / "fixtures" / "program"


@pytest.fixture
def program(tmp_path: Path) -> Path:
    """A writable copy of the fixture program (its intro lesson and its practice have a guide)."""
    target = tmp_path / "modules"
    shutil.copytree(FIXTURE, target)
    return target


def problems(root: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_catalog(root)
    return [str(p) for p in caught.value.problems]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"fixture text {old!r} not found in {path}"
    path.write_text(text.replace(old, new, 1))
