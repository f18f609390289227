"""Questionnaires as immutable data: what the loader produces and scoring and the views read.

Pure: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

ScoringRule = Literal["sum", "mean", "single"]
SCORING_RULES: tuple[ScoringRule, ...] = ("sum", "mean", "single")
ReliabilityKind = Literal["test-retest", "alpha"]
RELIABILITY_KINDS: tuple[ReliabilityKind, ...] = ("test-retest", "alpha")


@dataclass(frozen=True)
class Option:
    """One answer a patient can choose: the stored value and the words shown."""

    value: int
    label: str


@dataclass(frozen=True)
class Item:
    """One question of a questionnaire."""

    id: str
    text: str
    options: tuple[Option, ...]
    reverse: bool = False
    # A safety item (PHQ-9 item 9) asks about self-harm: any answer above its lowest option must reach
    # a person, whatever the total says.
    safety: bool = False

    @property
    def values(self) -> frozenset[int]:
        """The values a patient may answer."""
        return frozenset(option.value for option in self.options)

    @property
    def min_value(self) -> int:
        """The lowest answer value."""
        return min(option.value for option in self.options)

    @property
    def max_value(self) -> int:
        """The highest answer value."""
        return max(option.value for option in self.options)

    def scored(self, value: int) -> int:
        """The value that counts toward the score: reverse items are mirrored within their own options."""
        return self.min_value + self.max_value - value if self.reverse else value

    def option(self, value: int) -> Option | None:
        """The option with this value, or None."""
        for option in self.options:
            if option.value == value:
                return option
        return None


@dataclass(frozen=True)
class Band:
    """A range of scores (both ends included) with a clinical label and calm words for the patient."""

    min: float
    max: float
    label: str
    patient_label: str

    def contains(self, score: float | Fraction) -> bool:
        """Whether a score falls in this band."""
        return self.min <= score <= self.max


@dataclass(frozen=True)
class Reliability:
    """The reliability coefficient used for the reliable change index, with where it comes from."""

    r: float
    kind: ReliabilityKind
    source: str


@dataclass(frozen=True)
class Norms:
    """The standard deviation used for the reliable change index, of which population, and its source."""

    sd: float
    population: str
    source: str


TalkingTherapiesRole = Literal["depression", "anxiety"]
TALKING_THERAPIES_ROLES: tuple[TalkingTherapiesRole, ...] = ("depression", "anxiety")


@dataclass(frozen=True)
class TalkingTherapies:
    """Fixed thresholds as NHS Talking Therapies reports change: how many points is a reliable change, the
    score at or above which a patient is a "case", and which of the paired measures (depression, anxiety)
    this one is."""

    role: TalkingTherapiesRole
    reliable_change: float  # a change of at least this many points is reliable
    caseness: float  # a score at or above this is a case
    source: str


@dataclass(frozen=True)
class Measure:
    """A questionnaire: its words, how it is scored and how a score is read."""

    id: str
    title: str
    short_title: str
    instructions: str
    timeframe: str
    items: tuple[Item, ...]
    scoring: ScoringRule
    score_min: float
    score_max: float
    bands: tuple[Band, ...]
    higher_is_better: bool
    reliability: Reliability | None
    norms: Norms | None
    source: str
    licence: str
    path: str  # the file it was loaded from, for error messages and `flask check`
    talking_therapies: TalkingTherapies | None = None

    def item(self, item_id: str) -> Item | None:
        """The item with this id, or None."""
        for item in self.items:
            if item.id == item_id:
                return item
        return None

    @property
    def item_ids(self) -> tuple[str, ...]:
        """Item ids in the order they are asked."""
        return tuple(item.id for item in self.items)

    @property
    def safety_items(self) -> tuple[Item, ...]:
        """Items whose non-lowest answers must be seen by a person (see Item.safety)."""
        return tuple(item for item in self.items if item.safety)

    def band_for(self, score: float | Fraction) -> Band | None:
        """The band a score falls in, or None when the measure has no bands."""
        for band in self.bands:
            if band.contains(score):
                return band
        return None
