"""Text as the app stores it: one normalisation, applied by every form before anything validates or stores.

Pure: no Flask.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

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
