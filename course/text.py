"""Text as the app stores it: one normalisation, applied by every form before anything validates or stores.

Pure: no Flask (WTForms only, for the meta every form uses).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from wtforms import PasswordField, StringField

# Control characters are dropped, but for tab and newline; so are the two non-characters some keyboards and
# pasted documents produce. PostgreSQL refuses NUL in text outright.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def clean_text(value: Any) -> Any:
    """Text as stored: line endings unified, control characters but tab and newline removed, Unicode NFC.

    Anything that is not text passes through unchanged (a field's filter sees its data, which may be None).
    """
    if not isinstance(value, str):
        return value
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _CONTROL.sub("", text))


class CleanTextMeta:
    """WTForms' documented hook for binding fields: every text field gets `clean_text` as its first filter.
    The meta of every form in the app (course.forms.BaseForm, and the rows of a step's list fields)."""

    def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
        """Bind the field, with `clean_text` first among a text field's filters."""
        field_class = unbound_field.field_class
        if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
            filters = (clean_text, *(unbound_field.kwargs.get("filters") or ()))
            return unbound_field.bind(form=form, filters=filters, **options)
        return unbound_field.bind(form=form, **options)
