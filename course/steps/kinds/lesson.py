"""A lesson: a short read in Markdown, from the module's YAML (`body`) or a file beside it (`file`).

Its form is a single "Next" button; it holds no answers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from wtforms import Form

from ...content.building import StepSource
from ...content.includes import expand_includes
from ...content.model import Answer, Step
from ..fields import SubmitField

WORDS_PER_MINUTE = 180  # a gentle pace for tired readers


@dataclass(frozen=True)
class Lesson(Step):
    """A short read in Markdown."""

    type: ClassVar[str] = "lesson"
    KEYS: ClassVar[Mapping[str, bool]] = {"file": False, "body": False, "minutes": False, "audio": False}

    text: str = ""  # the Markdown as patients read it (includes expanded), for the reading-level checks
    minutes: int = 1

    def transcript(self) -> str:
        """A recorded guide of a lesson reads the lesson."""
        return self.text

    @classmethod
    def load(cls, source: StepSource) -> Lesson:
        """The text from `file` or `body` (one of them), and the minutes it takes to read."""
        raw, reader, what = source.raw, source.reader, source.what
        text = ""
        first_line = 1
        lesson_reader = reader
        if "file" in raw and "body" in raw:
            reader.error(raw.line, f"{what} has both 'file' and 'body'; keep one")
        if "file" in raw:
            name = source.text("file") or ""
            path = (reader.path.parent / name).resolve()
            if path.parent != reader.path.parent.resolve() or not name.endswith(".md"):
                reader.error(
                    source.line("file"), f"'file' of {what} must name a .md file in the module folder"
                )
            elif not path.is_file():
                reader.error(source.line("file"), f"lesson file '{name}' does not exist")
            else:
                text = path.read_text(encoding="utf-8")
                lesson_reader = source.build.reader(path)
        elif "body" in raw:
            source.text("body")  # reports a body that is not text
            text = str(raw["body"])
            first_line = source.line("body") + 1
        else:
            reader.error(raw.line, f"{what} needs 'file' or 'body'")
        file_problem = any(
            p.path == reader.display and p.line == source.line("file") for p in reader.problems
        )
        if not text.strip() and ("file" in raw or "body" in raw) and not file_problem:
            reader.error(raw.line, f"{what} has no text")
        # The text as patients read it, includes and all: reading time and the reading-level checks use it.
        read = expand_includes(text)[0]
        default_minutes = max(1, math.ceil(len(read.split()) / WORDS_PER_MINUTE))
        minutes = source.integer("minutes", default_minutes, 1, 60)
        html = source.build.markdown(lesson_reader, text, source.module, first_line) if text else ""
        return cls(**source.common, body_html=html, text=read, minutes=minutes)

    def form_fields(self) -> dict[str, Any]:
        """Only a button: reading is all a lesson asks."""
        return {"submit": SubmitField("Next")}

    def answers_from_form(self, form: Form) -> dict[str, Any]:
        """A lesson holds no answers."""
        return {}

    def form_data(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """Nothing to show again."""
        return {}

    def missing_required(self, form: Form, answers: Mapping[str, Any]) -> bool:
        """Nothing is required beyond opening it."""
        return False

    def free_texts(self, answers: Mapping[str, Any]) -> tuple[str, ...]:
        """No words of the patient's."""
        return ()

    def reading(self, answers: Mapping[str, Any]) -> tuple[Answer, ...] | None:
        """Nothing for the therapist to read (the timeline shows it was done)."""
        return None

    def example_answers(self) -> dict[str, Any]:
        """No answers."""
        return {}
