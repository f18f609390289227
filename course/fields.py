"""A form field with its label, hint and errors tied together for screen readers, as HTML for templates.

These were Jinja macros; a macro call costs ~15 us before it writes anything, and a step page called six
(a field, its two helpers, two buttons and the CSRF input). The HTML is the same as the macros wrote
(tests/app/test_fields.py renders both for every field of the program and of every form).

- A group of radios or checkboxes is a fieldset with a legend; a scale shows its two end labels, and repeats
  each beside the first and last option for screen readers.
- A checkbox comes after its hint and errors, with its label after it.
- Anything else: the label, the hint and errors, then the input.
- The hint and the errors are named by aria-describedby; a field with errors is marked aria-invalid.
"""

from __future__ import annotations

from typing import Any

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


def submit(f: Any, secondary: bool = False) -> Markup:
    """A form's submit button, styled as the main or a secondary action."""
    # The widget's own Markup.
    return Markup(f(class_="button secondary" if secondary else "button"))  # noqa: S704  # nosec B704
