"""Every CSV the app writes goes through `csv_text`, which makes each cell safe to open in a spreadsheet.

A spreadsheet runs a text cell that begins with `=`, `+`, `-` or `@` as a formula (and some treat a leading
tab or carriage return the same way), so a name such as `=HYPERLINK(...)` typed by a patient could run on a
therapist's computer. Such a cell is written with a leading apostrophe, which spreadsheets show as plain text
(OWASP's advice for CSV injection). Numbers the app computed stay numbers: a number is not a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """The cell as written: text that a spreadsheet would run gets a leading apostrophe; None is empty."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """The rows (the header first) as CSV, every cell made safe by `safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return out.getvalue()
