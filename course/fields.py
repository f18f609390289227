"""Form fields with their label, hint and errors tied together for screen readers, buttons and the error
summary at the top of a form, as HTML for templates (globals `field`, `submit`, `error_summary`).

These were Jinja macros: a macro call has a fixed cost before it writes anything, a step page made six,
and importing them cost as much again (docs/PERFORMANCE.md). The HTML is the same as the macros wrote
(tests/app/test_fields.py renders both for every field of the program and of every form).

- A group of radios or checkboxes is a fieldset with a legend; a scale shows its two end labels, and repeats
  each beside the first and last option for screen readers.
- A checkbox comes after its hint and errors, with its label after it.
- Anything else: the label, the hint and errors, then the input.
- The hint and the errors are named by aria-describedby; a field with errors is marked aria-invalid.
"""

from __future__ import annotations

from typing import Any

from cachetools import LRUCache
from markupsafe import Markup, escape

_GROUPS = ("RadioField", "MultiCheckboxField")


def _hint_and_errors(f: Any, fid: str) -> str:
    parts = []
    if f.description:
        parts.append(f'<p class="hint" id="{fid}-hint">{escape(f.description)}</p>\n')
    if f.errors:
        errors = "".join(
            f'<p><span class="visually-hidden">Error: </span>{escape(error)}</p>' for error in f.errors
        )
        parts.append(f'<div class="field-error" id="{fid}-error">\n  {errors}\n</div>\n')
    return "".join(parts)


def field(
    f: Any,
    label: str | None = None,
    autocomplete: str | None = None,
    rows: int | None = None,
    scale_labels: tuple[str | None, str | None] | None = None,
) -> Markup:
    """One form field as HTML (see the module docstring)."""
    fid = str(escape(f.id))
    label_text = escape(label or f.label.text)
    described = " ".join(([f"{fid}-hint"] if f.description else []) + ([f"{fid}-error"] if f.errors else []))
    error_class = " has-error" if f.errors else ""
    if f.type in _GROUPS:
        scale = scale_labels is not None
        html = [
            f'<fieldset class="field{error_class}{" scale" if scale else ""}"'
            f'{f" aria-describedby={chr(34)}{described}{chr(34)}" if described else ""} id="{fid}">\n'
            f"  <legend>{label_text}</legend>\n",
            _hint_and_errors(f, fid),
        ]
        first_end, last_end = scale_labels if scale_labels is not None else (None, None)
        if scale and (first_end or last_end):
            html.append(
                f'  <p class="scale-ends" aria-hidden="true"><span>{escape(first_end or "")}</span>'
                f"<span>{escape(last_end or '')}</span></p>\n"
            )
        html.append(f'  <div class="{"scale-options" if scale else "options"}">\n')
        options = list(f)
        invalid = {"aria-invalid": "true"} if f.errors else {}
        for n, option in enumerate(options):
            ends = ""
            if scale and n == 0 and first_end:
                ends += f'<span class="visually-hidden"> ({escape(first_end)})</span>'
            if scale and n == len(options) - 1 and last_end:
                ends += f'<span class="visually-hidden"> ({escape(last_end)})</span>'
            html.append(
                f'    <div class="option">\n      {option(**invalid)}\n'
                f'      <label for="{escape(option.id)}">{escape(option.label.text)}{ends}</label>\n'
                "    </div>\n"
            )
        html.append("  </div>\n</fieldset>\n")
        # Every value above is escaped.
        return Markup("".join(html))  # noqa: S704  # nosec B704

    attrs: dict[str, Any] = {}
    if described:
        attrs["aria-describedby"] = described
    if f.errors:
        attrs["aria-invalid"] = "true"
    # Below, every value is escaped or is a widget's Markup.
    if f.type == "BooleanField":
        return Markup(  # noqa: S704  # nosec B704
            f'<div class="field checkbox{error_class}">\n{_hint_and_errors(f, fid)}'
            f'  <div class="option">\n    {f(**attrs)}\n    <label for="{fid}">{label_text}</label>\n'
            "  </div>\n</div>\n"
        )
    if autocomplete:
        attrs["autocomplete"] = autocomplete
    if rows:
        attrs["rows"] = rows
    return Markup(  # noqa: S704  # nosec B704
        f'<div class="field{error_class}">\n  <label for="{fid}">{label_text}</label>\n'
        f"{_hint_and_errors(f, fid)}  {f(**attrs)}\n</div>\n"
    )


def error_summary(form: Any, title: str = "Please check the following") -> Markup:
    """Every error of the form, each a link to its field; nothing when there is none. A group of radios or
    checkboxes cannot take focus itself: its link leads to its first option."""
    items = []
    for f in form:
        if not f.errors:
            continue
        target = escape(f"{f.id}-0" if f.type in _GROUPS else f.id)
        name = (f.label.text or "").strip()
        lead = f"{escape(name)}{' ' if name[-1:] in '.?!:' else ': '}" if name else ""
        for error in f.errors:
            text = escape(error if isinstance(error, str) else "Please check this part.")
            items.append(f'    <li><a href="#{target}">{lead}{text}</a></li>\n')
    if not items:
        return Markup("")
    # Every value is escaped.
    return Markup(  # noqa: S704  # nosec B704
        '<div class="error-summary" role="alert" tabindex="-1" id="error-summary">\n'
        f"  <h2>{escape(title)}</h2>\n  <ul>\n{''.join(items)}  </ul>\n</div>\n"
    )


REMEMBERED_SUBMITS = 512
_SUBMITS: LRUCache[tuple[Any, ...], Markup] = LRUCache(maxsize=REMEMBERED_SUBMITS)


def submit(f: Any, secondary: bool = False) -> Markup:
    """A form's submit button, styled as the main or a secondary action.

    Remembered per process by what the button is made of (its field and widget classes, id, name and label):
    a button reads nothing of the visitor's, and every page writes the same few (docs/PERFORMANCE.md). One
    with extra attributes or validation flags is written each time.
    """
    if f.render_kw or vars(f.flags):
        return _submit(f, secondary)
    key = (type(f), type(f.widget), f.id, f.name, f.label.text, secondary)
    found = _SUBMITS.get(key)
    if found is None:
        found = _SUBMITS[key] = _submit(f, secondary)
    return found


def _submit(f: Any, secondary: bool) -> Markup:
    # The widget's own Markup.
    return Markup(f(class_="button secondary" if secondary else "button"))  # noqa: S704  # nosec B704


def hidden_fields(form: Any) -> Markup:
    """A form's hidden inputs: its CSRF token (when the form checks one) and its hidden fields, such as the
    one-time key that makes a double submit save once. Written without ids: a page may hold several forms."""
    # WTForms writes each (escaped); the CSRF token field is a hidden field too.
    return Markup("".join(str(f(id=False)) for f in form if f.type in ("HiddenField", "CSRFTokenField")))  # noqa: S704  # nosec B704
