"""Fixtures for the measures tests: the shipped definitions and a tiny test-only definition to vary."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from course.measures import Measure, load_definitions

# A test-only scale: 3 items answered 0–2, item b reversed, so raw answers and scores differ.
TINY: dict[str, Any] = {
    "id": "tiny",
    "title": "Tiny test scale",
    "short_title": "Tiny",
    "instructions": "How often?",
    "timeframe": "today",
    "higher_is_better": True,
    "scoring": "sum",
    "score_range": {"min": 0, "max": 6},
    "options": [
        {"value": 0, "label": "Never"},
        {"value": 1, "label": "Sometimes"},
        {"value": 2, "label": "Often"},
    ],
    "items": [
        {"id": "a", "text": "Item A"},
        {"id": "b", "text": "Item B", "reverse": True},
        {"id": "c", "text": "Item C"},
    ],
    "bands": [
        {"min": 0, "max": 2, "label": "Low", "patient_label": "A little"},
        {"min": 3, "max": 6, "label": "High", "patient_label": "More"},
    ],
    "reliability": {"r": 0.84, "kind": "test-retest", "source": "Test only"},
    "norms": {"sd": 5, "population": "test", "source": "Test only"},
    "source": "Test only",
    "licence": "Test only",
}

WriteDefinition = Callable[..., Path]


@pytest.fixture(scope="session")
def shipped() -> dict[str, Measure]:
    """The shipped definitions, loaded once."""
    return load_definitions()


@pytest.fixture
def tiny() -> dict[str, Any]:
    """A fresh copy of the tiny definition to change."""
    return copy.deepcopy(TINY)


@pytest.fixture
def write_definition(tmp_path: Path) -> WriteDefinition:
    """Write a definition (a dict, or raw YAML text) into tmp_path/extra and return that directory."""
    extra = tmp_path / "extra"
    extra.mkdir()

    def write(data: dict[str, Any] | str, name: str | None = None) -> Path:
        if isinstance(data, str):
            text = data
            filename = name or "tiny.yaml"
        else:
            text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
            filename = name or f"{data.get('id', 'tiny')}.yaml"
        (extra / filename).write_text(text, encoding="utf-8")
        return extra

    return write
