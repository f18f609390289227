"""What the app does when a patient's words or answers call for safety: the only callers of the safety rules.

- `watch_words`: every place a patient types free text (journal entries and edits, every free-text answer
  of a step, check-in notes, and anything added later) calls it. `safety.crisis_language` is the only judge
  of the words; this is the only code that acts on its verdict. The alert says where the words were
  written, never what they were: a private entry's or answer's text goes into no alert and no email.
- `report_pem`: an answer that reveals post-exertional malaise (the screening, or a step's question marked
  `pem_question`) puts the patient on the pacing path and tells their therapist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from .alerts import raise_alert
from .models import Enrollment
from .safety import PEM_ANSWERS, crisis_language


@dataclass(frozen=True)
class WrittenIn:
    """Where a patient wrote or answered: what the therapist's alert says instead of the words.

    `source` is the kind of place ("journal", "step", "check-in", "screening"); `where` says it in words for
    the therapist; `refs` are ids the therapist's page links with (only to things the therapist may open).
    """

    source: str
    where: str
    refs: dict[str, Any] = field(default_factory=dict)

    def details(self) -> dict[str, Any]:
        """The alert's details."""
        return {"source": self.source, "where": self.where, **self.refs}


def watch_words(
    db: Session,
    enrollment: Enrollment | None,
    texts: Iterable[str | None],
    written_in: WrittenIn,
    now: datetime,
) -> bool:
    """True when any of the texts suggests thoughts of suicide or self-harm: crisis help must be shown now.

    Raises one alert for the patient's therapist (when the patient is enrolled) saying where the words were.
    """
    if not any(text and crisis_language(text) for text in texts):
        return False
    if enrollment is not None:
        raise_alert(db, enrollment, "crisis", now=now, details=written_in.details())
    return True


def report_pem(
    db: Session, enrollment: Enrollment, answer: str, written_in: WrittenIn, now: datetime
) -> bool:
    """Put the patient on the pacing path when the answer reveals post-exertional malaise.

    True when this answer switched the path (and alerted the therapist); False when the answer does not
    reveal it or the patient was on the pacing path already.
    """
    if answer not in PEM_ANSWERS or enrollment.pem:
        return False
    enrollment.pem = True
    raise_alert(db, enrollment, "pem", now=now, details={**written_in.details(), "answer": answer})
    return True
