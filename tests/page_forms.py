"""The forms a page shows, read from its HTML: what tests enumerate instead of listing forms by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

# Inputs a person types their own words into.
FREE_TEXT_INPUTS = frozenset({"text", "search", ""})


@dataclass
class PageForm:
    """One <form>: where it posts, its fields (name -> value as rendered) and which of them take free text."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    free_text: list[str] = field(default_factory=list)
    buttons: dict[str, str] = field(default_factory=dict)
    checked: dict[str, list[str]] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)  # radio, checkbox and select values
    passwords: list[str] = field(default_factory=list)

    def path(self, page_url: str) -> str:
        """The path the form posts to (its page's own when the action is empty), without a query."""
        return urlsplit(self.action).path or urlsplit(page_url).path


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = PageForm(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or "name" not in a:
            if tag == "option" and form is not None and self._select:
                form.options.setdefault(self._select, []).append(a.get("value", ""))
                if "selected" in a:
                    form.fields[self._select] = a.get("value", "")
            return
        name = a["name"]
        if tag == "textarea":
            form.free_text.append(name)
            form.fields[name] = ""
            self._textarea = name
        elif tag == "select":
            self._select = name
            form.fields.setdefault(name, "")
        elif tag == "button" or (tag == "input" and a.get("type") == "submit"):
            form.buttons[name] = a.get("value", "y") or "y"
        elif tag == "input":
            kind = a.get("type", "").lower()
            if kind in ("checkbox", "radio"):
                form.checked.setdefault(name, [])
                form.options.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    form.checked[name].append(a.get("value", "on"))
                return
            if kind == "password" or a.get("autocomplete") == "one-time-code":
                form.passwords.append(name)  # a credential, not words: a password or a one-time code
                return
            form.fields[name] = a.get("value", "")
            if kind in FREE_TEXT_INPUTS:
                form.free_text.append(name)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea is not None:
            self._form.fields[self._textarea] += data


def page_forms(html: str) -> list[PageForm]:
    """Every form on the page, in order."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.forms


def post_forms_with_free_text(html: str) -> list[PageForm]:
    """The forms that post something a person typed in their own words."""
    return [form for form in page_forms(html) if form.method == "post" and form.free_text]


def filled(form: PageForm, words: dict[str, str]) -> dict[str, str | list[str]]:
    """The form's data as a person would send it: what the page holds (hidden values, the selected or checked
    choices, else the first choice of each group), then `words` in the free-text fields."""
    data: dict[str, str | list[str]] = dict(form.fields)
    for name, values in form.options.items():
        chosen = form.checked.get(name) or ([form.fields[name]] if form.fields.get(name) else values[:1])
        if chosen:
            data[name] = chosen if len(chosen) > 1 else chosen[0]
    data.update(words)
    return data
