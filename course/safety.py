"""Safety rules in one reviewed place: crisis language, red-flag screening, post-exertional malaise.

Pure: no Flask. Changing a word list or a question here is a clinical decision; keep the tests beside it
(tests/safety/) in step, including the phrases that must NOT alert.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

# Phrases that suggest thoughts of self-harm or suicide. Whole words, any case, apostrophes normalised.
CRISIS_PATTERNS = [
    r"\bkill(?:ing)? myself\b",
    r"\bend(?:ing)? (?:my|it all|my own) li(?:fe|ves)\b",
    r"\bend it all\b",
    r"\btake my (?:own )?life\b",
    r"\bsuicid(?:e|al)\b",
    r"\bwant(?:ed)? to die\b",
    r"\bwish i (?:was|were) dead\b",
    r"\bbetter off dead\b",
    r"\bbetter off without me\b",
    r"\bno reason to live\b",
    r"\bnot worth living\b",
    r"\b(?:hurt|harm|cut)(?:ting)? myself\b",
    r"\bself[- ]harm(?:ing)?\b",
    r"\boverdos(?:e|ing)\b",
    r"\bdon'?t want to (?:be here|wake up|live)(?: anymore)?\b",
    r"\bcan'?t go on\b",
]
# Common figures of speech that contain crisis words but are not a crisis.
NOT_CRISIS_PATTERNS = [
    r"\bdying to\b",
    r"\b(?:to die for)\b",
    r"\bkilling it\b",
    r"\b(?:pain|it|this|that|work|the commute|the heat) is killing me\b",
    r"\bkills? me\b(?! to)",
    r"\bdied laughing\b",
    r"\bbored to death\b",
]
_crisis = [re.compile(p, re.IGNORECASE) for p in CRISIS_PATTERNS]
_not_crisis = [re.compile(p, re.IGNORECASE) for p in NOT_CRISIS_PATTERNS]


def _normalise(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'")


def crisis_language(text: str) -> bool:
    """True when the text contains a phrase suggesting thoughts of self-harm or suicide.

    Figures of speech ("I'm dying to try this", "this commute is killing me") are removed first, so they do
    not alert. Errs on the side of showing help: the patient sees calm crisis information, nothing more.
    """
    cleaned = _normalise(text)
    for pattern in _not_crisis:
        cleaned = pattern.sub(" ", cleaned)
    return any(pattern.search(cleaned) for pattern in _crisis)


Urgency = Literal["emergency", "soon"]


@dataclass(frozen=True)
class RedFlag:
    """A screening question whose 'yes' means: see a doctor before starting (or at once)."""

    id: str
    question: str
    urgency: Urgency


# From the NHS/NICE CKS spinal red flags (see CLINICAL-FACTS.md section 5); worded for patients.
RED_FLAGS = (
    RedFlag("bladder-bowel", "New trouble controlling or emptying your bladder or bowels?", "emergency"),
    RedFlag(
        "saddle-numbness",
        "New numbness between your legs or around your bottom (the 'saddle' area)?",
        "emergency",
    ),
    RedFlag(
        "leg-weakness", "Weakness in your legs that is new or getting worse, or trouble walking?", "emergency"
    ),
    RedFlag("fever", "Fever or chills along with your pain, or a recent serious infection?", "soon"),
    RedFlag("weight-loss", "Weight loss you cannot explain?", "soon"),
    RedFlag("cancer", "Cancer now or in the past?", "soon"),
    RedFlag("injury", "A recent significant injury, such as a fall or accident?", "soon"),
    RedFlag("night-pain", "Pain at night that does not ease however you lie?", "soon"),
)

PEM_QUESTION = (
    "After physical or mental effort, do you often feel much worse, or wiped out, for a day or more "
    "(sometimes called post-exertional malaise)?"
)


def urgency_of(flags: list[str]) -> Urgency | None:
    """The most urgent level among the red flags answered yes, or None when there are none."""
    levels = {flag.id: flag.urgency for flag in RED_FLAGS}
    found = [levels[f] for f in flags if f in levels]
    if not found:
        return None
    return "emergency" if "emergency" in found else "soon"
