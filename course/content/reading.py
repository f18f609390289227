"""Reading one content file: its YAML, and typed values from it, every problem kept as `file:line: message`.

Pure: no Flask. The loader, the step kinds (course/steps) and the reference checks all report through a
`Reader`, so every message about the content has the same shape and its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..yamlsource import LineDict, YamlSyntaxError, parse_yaml

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the content, where it is."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(Exception):
    """The content cannot be loaded; `problems` lists everything wrong."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Reader:
    """Collects problems while reading one file's data; the path shown is relative to the program's parent."""

    def __init__(self, root: Path, path: Path, problems: list[Problem]) -> None:
        self.path = path
        try:
            self.display = str(path.relative_to(root.parent))
        except ValueError:
            self.display = str(path)
        self.problems = problems

    def error(self, line: int, message: str) -> None:
        """Note a problem at a line of this file."""
        self.problems.append(Problem(self.display, line, message))

    def load_yaml(self) -> Any:
        """The file's data (mappings are LineDicts), or None after noting why it cannot be read."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self.error(1, "file not found")
            return None
        except UnicodeDecodeError as exc:
            self.error(1, f"not UTF-8 text ({exc.reason})")
            return None
        try:
            parsed = parse_yaml(text)
        except YamlSyntaxError as exc:
            self.error(exc.line or 1, f"invalid YAML: {exc.problem}")
            return None
        for line, key in parsed.duplicate_keys:
            self.error(line, f"duplicate key '{key}'")
        return parsed.data

    def mapping(self, data: Any, line: int, what: str, keys: dict[str, bool]) -> LineDict | None:
        """Check that data is a mapping with the required keys and no unknown ones."""
        if not isinstance(data, LineDict):
            self.error(line, f"{what} must be a mapping of keys to values")
            return None
        for key in data:
            if key not in keys:
                known = ", ".join(sorted(keys))
                self.error(data.line_of(key), f"unknown key '{key}' in {what} (known: {known})")
        for key, required in keys.items():
            if required and key not in data:
                self.error(data.line, f"{what} is missing '{key}'")
        return data

    def text(self, data: LineDict, key: str, what: str, default: str | None = None) -> str | None:
        """A text value (numbers are read as text); empty text is a problem."""
        value = data.get(key, default)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(data.line_of(key), f"'{key}' of {what} must be text")
            return default
        text = str(value).strip()
        if not text and key in data:
            self.error(data.line_of(key), f"'{key}' of {what} is empty")
        return text

    def integer(self, data: LineDict, key: str, what: str, default: int, low: int, high: int) -> int:
        """A whole number between low and high."""
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(data.line_of(key), f"'{key}' of {what} must be a whole number")
            return default
        if not low <= value <= high:
            self.error(data.line_of(key), f"'{key}' of {what} must be between {low} and {high}, not {value}")
            return default
        return value

    def boolean(self, data: LineDict, key: str, what: str, default: bool = False) -> bool:
        """true or false."""
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.error(data.line_of(key), f"'{key}' of {what} must be true or false")
            return default
        return value

    def text_list(self, data: LineDict, key: str, what: str, minimum: int = 1) -> tuple[str, ...]:
        """A list of non-empty texts."""
        value = data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.error(data.line_of(key), f"'{key}' of {what} must be a list of text items")
            return ()
        if len(value) < minimum:
            self.error(data.line_of(key), f"'{key}' of {what} needs at least {minimum} item(s)")
        return tuple(v.strip() for v in value)

    def slug(self, data: LineDict, key: str, what: str) -> str:
        """An id: lowercase letters, digits and dashes."""
        value = self.text(data, key, what) or ""
        if value and not SLUG.match(value):
            self.error(
                data.line_of(key),
                f"'{key}' of {what} must use lowercase letters, digits and dashes: {value!r}",
            )
        return value
