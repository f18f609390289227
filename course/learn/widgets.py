"""WTForms widgets for the step player that write the same HTML as WTForms' own, several times faster.

WTForms 3.2+ builds every attribute with `Markup.format` (a new string.Formatter per attribute): a scale
question of eleven radio buttons cost ~0.4 ms to render, and the inputs were the costliest part of a step
page. These widgets differ from WTForms' only in `html_params`; tests/app/test_step_widgets.py checks the
output is identical.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape
from wtforms.widgets import CheckboxInput, RadioInput, SubmitInput, TextArea, TextInput
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


class FastTextInput(TextInput):
    """A one-line text input."""

    html_params = staticmethod(html_params)


class FastRadioInput(RadioInput):
    """One radio button (of a RadioField's options)."""

    html_params = staticmethod(html_params)


class FastCheckboxInput(CheckboxInput):
    """One checkbox (of a multiple-choice field's options)."""

    html_params = staticmethod(html_params)


class FastSubmitInput(SubmitInput):
    """A submit button."""

    html_params = staticmethod(html_params)


class FastTextArea(TextArea):
    """A textarea (WTForms' TextArea calls the module's html_params directly, so its body is repeated)."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        """Render the textarea with the field's value."""
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for key in dir(flags):
            if key in self.validation_attrs and key not in kwargs:
                kwargs[key] = getattr(flags, key)
        params = html_params(name=field.name, **kwargs)
        # The attributes come escaped from html_params, the value is escaped here.
        return Markup(f"<textarea {params}>\r\n{escape(field._value())}</textarea>")  # noqa: S704  # nosec B704
