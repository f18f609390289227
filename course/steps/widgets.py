"""WTForms widgets for the step player that write the same HTML as WTForms' own, with less work.

WTForms 3.2+ builds every attribute with `Markup.format` (a new string.Formatter per attribute), so the
inputs of a scale question of eleven radio buttons were the costliest part of a step page
(docs/PERFORMANCE.md). These widgets differ from WTForms' only in `html_params`;
tests/app/test_step_widgets.py checks the output is identical.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape
from wtforms.widgets import CheckboxInput, Input, RadioInput, SubmitInput, TextArea, TextInput
from wtforms.widgets.core import clean_key


def html_params(**kwargs: Any) -> Markup:
    """`wtforms.widgets.html_params`, with the same output: sorted attributes, keys and values escaped,
    True as a bare attribute, False left out."""
    params = []
    for key, value in sorted(kwargs.items()):
        name = _attribute_name(key)
        if value is True:
            params.append(name)
        elif value is not False:
            # escape() leaves a double quote only in a value that was already Markup; WTForms writes &quot;.
            params.append(f'{name}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    # Every name and value above went through escape().
    return Markup(" ".join(params))  # noqa: S704  # nosec B704


@lru_cache(maxsize=256)
def _attribute_name(key: str) -> str:
    return str(escape(clean_key(key)))


def _add_flags(field: Any, names: list[str], kwargs: dict[str, Any], *, call: bool) -> None:
    """The field's validation flags (required, maxlength...) as attributes, as WTForms adds them. WTForms
    scans `dir(field.flags)` (every name, sorted) on each render; the flags set are in its __dict__."""
    found = getattr(getattr(field, "flags", None), "__dict__", None)
    if found:
        for name in names:
            if name in found and name not in kwargs:
                value = found[name]
                kwargs[name] = value() if call and callable(value) else value


class _FastInput(Input):
    """WTForms' Input.__call__, reading the flags from their own attributes. It comes after the WTForms class
    in each widget's bases, so that RadioInput's and SubmitInput's __call__ reach it through super()."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        kwargs.setdefault("type", self.input_type)
        if "value" not in kwargs:
            kwargs["value"] = field._value()
        datalist = getattr(field, "_datalist", None)
        if datalist is not None and "list" not in kwargs:
            kwargs["list"] = datalist if isinstance(datalist, str) else datalist.id
        _add_flags(field, self.validation_attrs, kwargs, call=True)
        return Markup(f"<input {html_params(name=field.name, **kwargs)}>")  # noqa: S704  # nosec B704


class FastTextInput(TextInput, _FastInput):
    """A one-line text input."""


class FastRadioInput(RadioInput, _FastInput):
    """One radio button (of a RadioField's options)."""


class FastCheckboxInput(CheckboxInput, _FastInput):
    """One checkbox (of a multiple-choice field's options)."""


class FastSubmitInput(SubmitInput, _FastInput):
    """A submit button."""


class FastTextArea(TextArea):
    """A textarea (WTForms' TextArea calls the module's html_params directly, so its body is repeated)."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        """Render the textarea with the field's value."""
        kwargs.setdefault("id", field.id)
        _add_flags(field, self.validation_attrs, kwargs, call=False)
        params = html_params(name=field.name, **kwargs)
        # The attributes come escaped from html_params, the value is escaped here.
        return Markup(f"<textarea {params}>\r\n{escape(field._value())}</textarea>")  # noqa: S704  # nosec B704
