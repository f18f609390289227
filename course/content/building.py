"""What the kinds of step (course/steps/kinds/) are given to read their part of the content.

Pure: no Flask. `Build` is what one loading of the program shares: its problems, the `step:` links to check
once every module is read, and the habits offered so far (their ids are unique across the program).
`StepSource` is one step as written, with the parts every step has already read (loader.load_step).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..yamlsource import LineDict
from .includes import expand_includes
from .media import Guides
from .model import Habit
from .reading import Problem, Reader
from .render import StepLinker, iter_links, render_markdown


@dataclass
class PendingLink:
    """A `step:` link, checked once every module is read."""

    reader: Reader
    line: int
    module: str
    href: str


@dataclass
class Build:
    """The state of one loading of the program."""

    root: Path
    step_url: StepLinker
    problems: list[Problem] = field(default_factory=list)
    links: list[PendingLink] = field(default_factory=list)
    habits: dict[str, Habit] = field(default_factory=dict)
    habit_sources: dict[str, str] = field(default_factory=dict)
    guides: Guides = field(init=False)  # the recorded guides named so far (content/media.py)

    def __post_init__(self) -> None:
        self.guides = Guides(self.root)

    def reader(self, path: Path) -> Reader:
        """A reader for a file of the program, reporting into this build's problems."""
        return Reader(self.root, path, self.problems)

    def expand(self, reader: Reader, text: str, first_line: int) -> str:
        """The text with its includes (`[[red-flags]]`) in place; a bad include is a problem."""
        expanded, problems = expand_includes(text)
        for line, message in problems:
            reader.error(first_line + line - 1, message)
        return expanded

    def markdown(self, reader: Reader, text: str, module: str, first_line: int) -> str:
        """Markdown as safe HTML; its `step:` links are kept to be checked (the text starts at first_line)."""
        for href, line in iter_links(text):
            if href.startswith("step:"):
                self.links.append(PendingLink(reader, first_line + line - 1, module, href))
        return render_markdown(self.expand(reader, text, first_line), module, self.step_url)


@dataclass
class StepSource:
    """One step as the content writes it, and what its kind needs to read the rest: the file's reader, the
    module, and the parts every step has (`common`: id, title, source, path, passed on to the kind's
    constructor with the kind's own, body_html among them)."""

    build: Build
    reader: Reader
    raw: LineDict
    module: str
    what: str  # "step 'id'", for messages
    common: dict[str, Any]

    @property
    def step_id(self) -> str:
        """The step's id."""
        return str(self.common["id"])

    def line(self, key: str) -> int:
        """The line of one of the step's keys (or of the step)."""
        return self.raw.line_of(key)

    def error(self, line: int, message: str) -> None:
        """Note a problem at a line of the step's file."""
        self.reader.error(line, message)

    def text(self, key: str, default: str | None = None) -> str | None:
        """A text value of the step."""
        return self.reader.text(self.raw, key, self.what, default)

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        """A whole number of the step, between low and high."""
        return self.reader.integer(self.raw, key, self.what, default, low, high)

    def markdown(self, key: str) -> str:
        """A Markdown value of the step as safe HTML (its text starts on the line after the key)."""
        text = self.reader.text(self.raw, key, self.what, "") or ""
        return self.build.markdown(self.reader, text, self.module, self.line(key) + 1) if text else ""
