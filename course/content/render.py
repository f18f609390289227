"""Markdown to safe HTML: markdown-it-py renders, nh3 keeps only an allow-list of tags and attributes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "a",
    "blockquote",
    "code",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}, "ol": {"start"}}
URL_SCHEMES = {"https", "http", "mailto"}

# Raw HTML in content is never passed through: markdown-it escapes it, nh3 removes anything left.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

StepLinker = Callable[[str, str], str]


def iter_links(markdown: str) -> Iterator[tuple[str, int]]:
    """Every link target in a Markdown text with its 1-based line within the text."""
    for block in _md.parse(markdown):
        if block.type != "inline" or not block.children:
            continue
        line = (block.map[0] + 1) if block.map else 1
        for child in block.children:
            if child.type == "link_open":
                yield str(child.attrs.get("href", "")), line


def render_markdown(markdown: str, module_slug: str, step_url: StepLinker) -> str:
    """Render content Markdown to sanitized HTML; `step:` links become URLs of the player."""
    tokens = _md.parse(markdown)
    for token in _walk(tokens):
        if token.type == "link_open":
            href = str(token.attrs.get("href", ""))
            if href.startswith("step:"):
                target_module, target_step = split_step_link(href, module_slug)
                token.attrs["href"] = step_url(target_module, target_step)
    html = _md.renderer.render(tokens, _md.options, {})
    return sanitize(html)


def sanitize(html: str) -> str:
    """Keep only the allow-listed tags, attributes and URL schemes."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def split_step_link(href: str, module_slug: str) -> tuple[str, str]:
    """`step:id` is a step of this module; `step:module/id` a step of another."""
    target = href.removeprefix("step:")
    if "/" in target:
        module, _, step = target.partition("/")
        return module, step
    return module_slug, target


def _walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)
