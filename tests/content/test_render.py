"""Content Markdown is rendered by markdown-it and sanitized by an allow-list: no script survives."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course.content.render import render_markdown, sanitize


def url(module: str, step: str) -> str:
    return f"/learn/{module}/{step}"


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<svg onload="alert(1)"></svg>',
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src='https://evil.example'></iframe>",
        '<p style="background:url(javascript:alert(1))">x</p>',
    ],
)
def test_render_dangerous_markdown_removes_active_content(payload: str) -> None:
    html = render_markdown(payload, "m", url)
    lowered = html.lower()
    assert "<script" not in lowered
    assert "<iframe" not in lowered
    assert "<svg" not in lowered
    assert "<img" not in lowered
    assert not re.search(r"<a\s[^>]*href=\"javascript:", lowered)
    # Escaped text may mention onerror=; no real tag may carry an event handler or a style.
    assert not re.search(r"<[a-z][^>]*\s(on\w+|style)=", lowered)


def test_render_step_links_become_player_urls() -> None:
    html = render_markdown("[a](step:intro) and [b](step:other/practice)", "first", url)
    assert 'href="/learn/first/intro"' in html
    assert 'href="/learn/other/practice"' in html


def test_render_keeps_headings_lists_and_emphasis() -> None:
    html = render_markdown("## Title\n\n- **one**\n- *two*\n\n> a note", "m", url)
    for tag in ("<h2>", "<ul>", "<strong>", "<em>", "<blockquote>"):
        assert tag in html


@given(st.text())
def test_sanitize_any_text_leaves_no_script_tag(text: str) -> None:
    html = sanitize(render_markdown(text, "m", url))
    assert "<script" not in html.lower()
