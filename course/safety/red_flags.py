"""Red flags: signs that pain may need a doctor rather than this program. One list, in urgency tiers.

The screening before week 1, the lessons that name red flags (through `[[red-flags]]`, see docs/CONTENT.md),
the flare plan and the therapist's view all read this list, so they cannot disagree. Sources: NHS/NICE CKS
spinal red flags and the CKS topics for the signs beyond the spine (docs in ../shared/CLINICAL-FACTS.md,
sections 5 and 8). The tiers say what to do, never what it is: the program does not diagnose. A clinician
should review any change here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Urgency = Literal["emergency", "same-day", "soon"]


@dataclass(frozen=True)
class Tier:
    """How urgent a group of signs is, and what a patient should do about them."""

    urgency: Urgency
    heading: str  # what to do, as a heading or a bold lead-in
    advice: str  # one or two plain sentences after the list


# Most urgent first.
TIERS = (
    Tier(
        "emergency",
        "Go to an emergency department now if you have",
        "These signs can mean nerves at the base of the spine are being squeezed. "
        "Go now, or call your emergency number. Do not wait for an appointment.",
    ),
    Tier(
        "same-day",
        "Get seen by a doctor today if you have",
        "Call your doctor's office today and say it cannot wait, or go to urgent care.",
    ),
    Tier(
        "soon",
        "See your doctor soon, within a few days, if you have",
        "Tell them what you noticed. Having one of these signs does not mean something serious is wrong. "
        "It means a doctor should check first.",
    ),
)


@dataclass(frozen=True)
class RedFlag:
    """One sign: asked as a yes/no question at screening, named as a sign in lessons."""

    id: str
    urgency: Urgency
    question: str  # the screening question, answered yes or no
    sign: str  # the same sign as a lesson names it
    concern: str  # what a clinician would want to rule out: for the therapist's view, never a patient's


RED_FLAGS = (
    RedFlag(
        "bladder-bowel",
        "emergency",
        "New trouble controlling or emptying your bladder or bowels?",
        "New trouble passing urine, or new leaks of urine or stool that you cannot hold in.",
        "possible cauda equina syndrome (sphincter disturbance)",
    ),
    RedFlag(
        "saddle-numbness",
        "emergency",
        "New numbness between your legs or around your bottom (the 'saddle' area)?",
        'New numbness in the "saddle area": the skin between your legs and around your bottom.',
        "possible cauda equina syndrome (saddle anaesthesia)",
    ),
    RedFlag(
        "leg-weakness",
        "emergency",
        "Weakness in your legs that is new or getting worse, or new trouble walking?",
        "Weakness in one or both legs that is new or getting worse, or new trouble walking.",
        "severe or progressive neurological deficit in the legs",
    ),
    RedFlag(
        "spreading-numbness",
        "same-day",
        "New numbness, tingling or weakness anywhere else in your body, or numbness that is spreading?",
        "New numbness, tingling or weakness anywhere else in your body, or any that is spreading or "
        "getting worse.",
        "new or progressive neurological deficit",
    ),
    RedFlag(
        "headache-jaw-vision",
        "same-day",
        "Aged over 50: a new headache, with a tender scalp, jaw pain when you chew, or changes in your "
        "eyesight?",
        "A new headache after the age of 50, with a tender scalp, jaw pain when you chew, or changes in "
        "your eyesight.",
        "possible giant cell arteritis",
    ),
    RedFlag(
        "hot-joint",
        "same-day",
        "A joint that has become hot, red and swollen, especially with a fever?",
        "A joint that has become hot, red and swollen, most of all with a fever.",
        "possible septic arthritis",
    ),
    RedFlag(
        "chest-pain",
        "same-day",
        "Chest pain or tightness that comes on when you are active?",
        "Chest pain or tightness that comes on when you are active. If it does not ease with rest, call "
        "your emergency number.",
        "possible angina",
    ),
    RedFlag(
        "immune-infection",
        "same-day",
        "A weakened immune system (from an illness or a medicine), or injecting drugs, and now new pain "
        "with a fever?",
        "New pain with a fever when your immune system is weakened, by an illness or a medicine, or if "
        "you inject drugs.",
        "possible spinal or joint infection",
    ),
    RedFlag(
        "fever",
        "soon",
        "Fever or chills along with your pain, or a recent serious infection?",
        "A fever or shaking chills along with your pain, or a recent serious infection.",
        "possible infection",
    ),
    RedFlag(
        "weight-loss",
        "soon",
        "Weight loss you cannot explain?",
        "Weight loss you cannot explain.",
        "possible malignancy",
    ),
    RedFlag(
        "cancer",
        "soon",
        "Cancer now or in the past?",
        "Cancer, now or in the past.",
        "possible metastasis (history of cancer)",
    ),
    RedFlag(
        "injury",
        "soon",
        "A recent significant injury, such as a fall or accident?",
        "A recent fall, accident or other big injury.",
        "possible fracture after trauma",
    ),
    RedFlag(
        "steroids-bones",
        "soon",
        "Long-term steroid medicine, or thin bones (osteoporosis), and new pain after a small fall or knock?",
        "New pain after a small fall or knock if you take steroid medicine long-term or have thin bones "
        "(osteoporosis).",
        "possible fragility fracture (steroids, osteoporosis)",
    ),
    RedFlag(
        "new-after-50",
        "soon",
        "Did this pain first start after you turned 50, without an injury?",
        "Pain that first started after the age of 50, without an injury.",
        "new onset of pain after 50 (serious pathology to rule out)",
    ),
    RedFlag(
        "night-pain",
        "soon",
        "Pain at night that does not ease however you lie?",
        "Pain at night that does not ease, however you lie.",
        "persistent night pain (possible malignancy or infection)",
    ),
    RedFlag(
        "calf-pain",
        "soon",
        "Pain in your calf when you walk that eases when you stop and rest?",
        "Pain in your calf when you walk that eases when you stop and rest.",
        "possible peripheral arterial disease (claudication)",
    ),
)

_BY_ID = {flag.id: flag for flag in RED_FLAGS}
_RANK = {tier.urgency: rank for rank, tier in enumerate(TIERS)}

PEM_QUESTION = (
    "After physical or mental effort, do you often feel much worse, or wiped out, for a day or more "
    "(sometimes called post-exertional malaise)?"
)
# Answers to a post-exertional malaise question that put the patient on the pacing path.
PEM_ANSWERS = frozenset({"yes", "unsure"})


def red_flag(flag_id: str) -> RedFlag | None:
    """The red flag with this id, or None (an id from an older version of the list)."""
    return _BY_ID.get(flag_id)


def tier(urgency: Urgency) -> Tier:
    """The tier of an urgency."""
    return TIERS[_RANK[urgency]]


def flags_in(urgency: Urgency) -> tuple[RedFlag, ...]:
    """The red flags of one tier, in the list's order."""
    return tuple(flag for flag in RED_FLAGS if flag.urgency == urgency)


def urgency_of(flags: Iterable[str]) -> Urgency | None:
    """The most urgent tier among the red flags answered yes, or None when there are none."""
    found = [_BY_ID[f].urgency for f in flags if f in _BY_ID]
    if not found:
        return None
    return min(found, key=_RANK.__getitem__)
