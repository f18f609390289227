"""Recorded guides: audio files kept in a module's `media/` folder and named by a step (`audio: media/x.mp3`).

A lesson or practice step may have one. Its transcript is the step's own text (a lesson's Markdown, a
practice's script), so a step with audio must have text: someone who cannot hear, or would rather read, loses
nothing. The loader asks `Guides.read` for each step that names a file and `Guides.unused` once at the end;
each answers with what is wrong in plain words. Files are recognised by their first bytes, not their names.
Pure: no Flask.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..assets import fingerprinted
from .model import Guide, Step

FOLDER = "media"
KINDS = "MP3, Ogg, WAV or M4A"


def audio_type(head: bytes) -> str | None:
    """The media type of audio whose file starts with `head` (its first 12 bytes or more), or None."""
    if head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"  # an ID3 tag, or an MPEG audio frame's sync bits
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":
        return "audio/mp4"  # an ISO media file: M4A, or AAC in MP4
    return None


def transcript(step: Step) -> str:
    """The text a recorded guide of this step reads: its own words (empty for kinds without a guide)."""
    return step.transcript()


class Guides:
    """Reads the guides named in one program and remembers which media files were used."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.used: set[Path] = set()

    def read(self, module_folder: Path, named: Any, step: Step) -> tuple[Guide | None, list[str]]:
        """The guide `named` (the value of a step's `audio`) and the problems with it."""
        what = f"the audio of step '{step.id}'"
        name = named[len(FOLDER) + 1 :] if isinstance(named, str) and named.startswith(f"{FOLDER}/") else ""
        if not name or "/" in name or "\\" in name or name.startswith("."):
            return None, [
                f"{what} must name a file in the module's {FOLDER}/ folder, like {FOLDER}/guide.mp3"
            ]
        problems = []
        if not transcript(step).strip():
            problems.append(
                f"{what} needs its transcript: the step's own text (a lesson's text, a practice's script)"
            )
        path = module_folder / FOLDER / name
        if not path.is_file():
            return None, [*problems, f"audio file '{named}' does not exist"]
        self.used.add(path.resolve())
        content = path.read_bytes()
        kind = audio_type(content[:16])
        if kind is None:
            return None, [*problems, f"'{named}' is not an audio file ({KINDS}, judged by its first bytes)"]
        guide = Guide(
            file=str(path.resolve()), name=fingerprinted(name, content), kind=kind, size=len(content)
        )
        return (None if problems else guide), problems

    def unused(self) -> list[Path]:
        """The files in the modules' media folders that no step names (hidden files are left alone)."""
        return [
            path
            for path in sorted(self.root.glob(f"*/{FOLDER}/*"))
            if path.is_file() and not path.name.startswith(".") and path.resolve() not in self.used
        ]
