"""The caseload table's rows as HTML, written in Python rather than by a Jinja loop: some twenty outputs and
attribute lookups a row made the template the largest part of the caseload page (docs/PERFORMANCE.md). This
writes the same HTML (tests/clinic/test_rows.py compares it with the template it replaces).

Each row: the patient (a link, with Paused and Finished tags), the signals that need a look (or a dash), the
week and module, steps done, the last activity date in the viewer's zone, check-ins in the last seven days,
this week's pain and its change since the start, unread shared entries and open alerts. A patient who is
silent, stalled or waiting for a reply has a link to write to them beside the signals.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from ..templating import viewer_day_text
from .summary import Line

# Signals a message answers: "Silent for 12 days" → write to them.
_WRITE_FOR = {"reply": "Reply", "silent": "Write", "stalled": "Write"}


def table_rows(rows: Sequence[Line], patient_url: str, write_url: str = "") -> Markup:
    """The <tr> of each row; `patient_url` is a patient page's address without the patient's number, and
    `write_url` the same for the conversation with them (no link to write when it is empty)."""
    url = escape(patient_url)
    write = escape(write_url)
    day_text = viewer_day_text()
    out = []
    for row in rows:
        tags = ('<span class="tag">Paused</span>' if row.paused else "") + (
            '<span class="tag">Finished</span>' if row.finished else ""
        )
        signals = "".join(
            f'<span class="signal signal-{escape(s.kind)}">{escape(s.text)}</span>' for s in row.signals
        )
        signals = signals or '<span class="small">–</span>'
        verb = (
            next((_WRITE_FOR[s.kind] for s in row.signals if s.kind in _WRITE_FOR), None) if write else None
        )
        if verb is not None:
            signals += (
                f' <a class="small" href="{write}{int(row.patient_id)}">{verb}'
                f'<span class="visually-hidden"> to {escape(row.name)}</span></a>'
            )
        module = f' <span class="small">{escape(row.module_title)}</span>' if row.module_title else ""
        last = escape(day_text(row.last_active)) if row.last_active else "Never"
        if row.pain_week is not None:
            change = (
                f' <span class="small">({escape(f"{row.pain_change:+.1f}")} since start)</span>'
                if row.pain_change is not None
                else ""
            )
            pain = f"{escape(row.pain_week)}{change}"
        else:
            pain = "–"
        out.append(
            "  <tr>\n"
            # Numbers (the counts) need no escaping; text does.
            f'    <th scope="row"><a href="{url}{int(row.patient_id)}">{escape(row.name)}</a>\n'
            f"      {tags}</th>\n"
            f"    <td>{signals}</td>\n"
            f"    <td>{int(row.week)}{module}</td>\n"
            f"    <td>{int(row.steps_done)}/{int(row.steps_total)}</td>\n"
            f"    <td>{last}</td>\n"
            f"    <td>{int(row.checkins_7d)}</td>\n"
            f"    <td>{pain}</td>\n"
            f"    <td>{int(row.unread) if row.unread else ''}</td>\n"
            f"    <td>{int(row.open_alerts) if row.open_alerts else ''}</td>\n"
            "  </tr>\n"
        )
    # Every value above is escaped.
    return Markup("".join(out))  # noqa: S704  # nosec B704
