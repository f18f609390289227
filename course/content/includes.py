"""Shared text that content includes instead of restating: `[[red-flags]]` on a line of its own.

The red flags live in one list (course.safety.red_flags); a lesson, the flare plan or a step's text that
names them writes `[[red-flags]]` (every tier) or `[[red-flags emergency same-day]]` (some tiers), and the
loader puts the list there, so no page can disagree with the screening. Pure: no Flask.
"""

from __future__ import annotations

import re

from ..safety.red_flags import TIERS, flags_in

_INCLUDE = re.compile(r"^[ \t]*\[\[red-flags((?:[ \t]+[a-z-]+)*)[ \t]*\]\][ \t]*$", re.MULTILINE)
_URGENCIES = {tier.urgency for tier in TIERS}


def red_flags_markdown(urgencies: tuple[str, ...] = ()) -> str:
    """The red flags of these tiers (all when empty), most urgent first, as Markdown."""
    parts = []
    for tier in TIERS:
        if urgencies and tier.urgency not in urgencies:
            continue
        signs = "\n".join(f"- {flag.sign}" for flag in flags_in(tier.urgency))
        parts.append(f"**{tier.heading}:**\n\n{signs}\n\n{tier.advice}")
    return "\n\n".join(parts)


def expand_includes(markdown: str) -> tuple[str, list[tuple[int, str]]]:
    """The text with each include replaced, and (1-based line, message) for each include it cannot read."""
    problems: list[tuple[int, str]] = []

    def replace(match: re.Match[str]) -> str:
        urgencies = tuple(match.group(1).split())
        unknown = [u for u in urgencies if u not in _URGENCIES]
        if unknown:
            line = markdown.count("\n", 0, match.start()) + 1
            known = ", ".join(sorted(_URGENCIES))
            problems.append((line, f"unknown red-flag tier {', '.join(unknown)} (known: {known})"))
            return ""
        return red_flags_markdown(urgencies)

    return _INCLUDE.sub(replace, markdown), problems
