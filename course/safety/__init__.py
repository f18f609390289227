"""Safety rules in one reviewed place: crisis language, red flags, post-exertional malaise.

Pure: no Flask. Changing a word, a sign or a tier here is a clinical decision; keep the tests beside it
(tests/safety/) in step, including the sentences that must NOT alert.
"""

from __future__ import annotations

from .crisis import crisis_language
from .red_flags import (
    PEM_ANSWERS,
    PEM_QUESTION,
    RED_FLAGS,
    TIERS,
    RedFlag,
    Tier,
    Urgency,
    flags_in,
    red_flag,
    tier,
    urgency_of,
)

__all__ = [
    "PEM_ANSWERS",
    "PEM_QUESTION",
    "RED_FLAGS",
    "TIERS",
    "RedFlag",
    "Tier",
    "Urgency",
    "crisis_language",
    "flags_in",
    "red_flag",
    "tier",
    "urgency_of",
]
