"""The one YAML reader for the files clinicians write (the program in `modules/`, questionnaire definitions).

Pure: no Flask. `parse_yaml(text)` answers the data with every mapping a `LineDict` (the line of the mapping
and of each of its keys, for messages that say where), and the keys written twice; a text that is not YAML
raises `YamlSyntaxError` with its line. Each caller words its own messages from these.

Only `true` and `false` are booleans (as in YAML 1.2): YAML 1.1 reads yes/no/on/off as booleans, so an answer
option "no" would silently become False.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

# libyaml's C parser when PyYAML was built with it (several times faster at start-up); same nodes and marks,
# and the constructor and resolver (so the rules below) are the same Python code either way.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineDict(dict[str, Any]):
    """A YAML mapping that remembers the line of itself and of each key (1-based)."""

    line: int = 1
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """The line of a key, or of the mapping itself when the key is absent."""
        return self.key_lines.get(key, self.line)


@dataclass(frozen=True)
class Parsed:
    """A YAML text read: its data, and (line, key) for each key written a second time in a mapping."""

    data: Any
    duplicate_keys: tuple[tuple[int, str], ...]


class YamlSyntaxError(Exception):
    """The text is not YAML; `line` is where the parser stopped (None when it cannot say)."""

    def __init__(self, line: int | None, problem: str) -> None:
        self.line = line
        self.problem = problem
        super().__init__(f"line {line}: {problem}" if line is not None else problem)


class _LineLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    duplicate_keys: list[tuple[int, str]]


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in mapping:
            loader.duplicate_keys.append((line, str(key)))
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[str(key)] = line
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_LineLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def parse_yaml(text: str) -> Parsed:
    """Read one YAML document; raise YamlSyntaxError (with the line when known) if it is not YAML."""
    loader = _LineLoader(text)
    loader.duplicate_keys = []
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None)
        line = mark.line + 1 if mark is not None else None
        raise YamlSyntaxError(line, str(problem) if problem else " ".join(str(exc).split())) from exc
    finally:
        loader.dispose()
    return Parsed(data, tuple(loader.duplicate_keys))
