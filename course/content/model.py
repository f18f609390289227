"""The program as immutable data: what the loader produces and everything else reads.

The kinds of step (lesson, exercise...) are subclasses of `Step` in course/steps/.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ..pacing import FEEDBACK_DAYS, Holds

if TYPE_CHECKING:
    from wtforms import Form

FieldKind = Literal["text", "longtext", "scale", "choice", "multichoice", "list"]
# The kinds of field a patient types their own words into.
FREE_TEXT_KINDS = ("text", "longtext")

COMPONENTS = {
    "education": "Learning how pain works",
    "evidence": "Gathering your own evidence",
    "safety-lens": "Noticing sensations through a lens of safety",
    "emotional-threats": "Easing other emotional threats",
    "positive-feelings": "Turning toward good feelings",
    "sleep": "Sleep",
    "stress": "Stress",
    "movement": "Movement",
}
REPROCESSING_COMPONENTS = ("education", "evidence", "safety-lens", "emotional-threats", "positive-feelings")
HABIT_AREAS = ("sleep", "stress", "movement", "practice")
# A step may be only for one path: "pacing" for people with post-exertional malaise, "standard" for the rest;
# `path: all` says on purpose that a step is for both (every step of a module covering movement must say).
PATHS = ("standard", "pacing")
ALL_PATHS = "all"


@dataclass(frozen=True)
class Option:
    """One choice in a question or field: the stored value and the words shown."""

    value: str
    label: str


@dataclass(frozen=True)
class Field:
    """One input of an exercise (or of a row in a list field)."""

    id: str
    kind: FieldKind
    label: str
    help: str | None = None
    required: bool = False
    max_length: int = 200
    min: int = 0
    max: int = 10
    min_label: str | None = None
    max_label: str | None = None
    options: tuple[Option, ...] = ()
    min_items: int = 0
    max_items: int = 10
    item_fields: tuple[Field, ...] = ()
    # A choice that asks about post-exertional malaise: an answer in safety.PEM_ANSWERS switches the
    # patient to the pacing path and tells their therapist, as the screening answer does.
    pem_question: bool = False


@dataclass(frozen=True)
class Habit:
    """A sleep, stress, movement or practice habit a patient may adopt and log daily."""

    id: str
    area: str
    name: str
    prompt: str
    module_slug: str
    step_id: str


@dataclass(frozen=True)
class Guide:
    """A recorded guide of a step (content/media.py): the file, its fingerprinted name, its media type."""

    file: str  # the absolute path of the file in modules/
    name: str  # the file's name with a hash of its content: a new recording gets a new address
    kind: str  # audio/mpeg, audio/ogg, audio/wav or audio/mp4
    size: int


@dataclass(frozen=True)
class Recall:
    """An earlier answer of the patient's shown back above a step (`recall:`): a text or choice field of an
    exercise in this module or an earlier one, checked by the loader (content/checks.py)."""

    module_slug: str
    step_id: str
    field_id: str
    label: str  # the heading above the answer, e.g. "Your goal from week 1"
    missing: str | None = None  # shown when the patient left it empty; None: nothing is shown then
    line: int = 0  # the line of `recall:` in its file, for messages


@dataclass(frozen=True)
class Answer:
    """One answer as a therapist reads it: a label and the answer in words, or rows of (label, words)."""

    label: str
    text: str = ""
    rows: tuple[tuple[tuple[str, str], ...], ...] = ()
    own_words: bool = False  # the patient's own words (shown as written, line breaks kept)


@dataclass(frozen=True)
class Step(ABC):
    """One page of a module. Each kind of step is a subclass in course/steps/<kind>.py, found through the
    registry there (course.steps.registry.KINDS): what it reads from the content (KEYS, `load`), its form,
    what its answers hold and how they read. Its page is templates/steps/<type>.html."""

    id: str
    title: str
    body_html: str
    source: str  # "file:line", for messages about this step
    path: str | None = None  # None: everyone; otherwise only patients on that path
    audio: Guide | None = None  # a recorded guide (`audio:` in KEYS); its transcript is the step's own text
    # The date the step was added to a module patients already used (`added:`): it does not hold the module
    # for a patient who had finished the rest of it before then (pacing.waived_steps).
    added: date | None = None
    recall: Recall | None = None  # an earlier answer shown back above the step (`recall:`)
    # A feedback moment (`feedback:`): once finished, its answers go to the therapist and what comes after
    # waits for their reply (or the clinic's number of days): "step" (the next step; after a module's last
    # step, the next module) or "module" (the next module). None: not a feedback moment.
    feedback: Literal["step", "module"] | None = None

    # The `type:` the content writes for this kind.
    type: ClassVar[str]
    # Its keys in the content beyond id, type, title and path (True: required).
    KEYS: ClassVar[Mapping[str, bool]]
    # Where "Save and continue" leads when the step is finished: None for the next step, or an anchor on
    # the step's own page (a check shows what each answer means).
    SHOW_AFTER_FINISHING: ClassVar[str | None] = None

    @classmethod
    @abstractmethod
    def load(cls, source: Any) -> Step:
        """The step as the content writes it, every problem reported through `source` (file:line): a
        course.content.building.StepSource, which imports this module (so it is not named here)."""

    @abstractmethod
    def form_fields(self) -> dict[str, Any]:
        """The fields and buttons of its form (WTForms unbound fields, by form field name)."""

    @abstractmethod
    def answers_from_form(self, form: Form) -> dict[str, Any]:
        """Plain answers to store (JSON), keyed by content ids."""

    @abstractmethod
    def form_data(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The inverse of answers_from_form, to show saved answers again."""

    @abstractmethod
    def missing_required(self, form: Form, answers: Mapping[str, Any]) -> bool:
        """Add a message to each required part left empty ("Save and continue"); True when any is."""

    @abstractmethod
    def free_texts(self, answers: Mapping[str, Any]) -> tuple[str, ...]:
        """What the patient typed in their own words in these answers (the crisis watch reads it)."""

    @abstractmethod
    def reading(self, answers: Mapping[str, Any]) -> tuple[Answer, ...] | None:
        """The answers as the patient's therapist reads them; None when this kind's answers are not shown
        to the therapist (nothing to show, or private)."""

    @abstractmethod
    def example_answers(self) -> dict[str, Any]:
        """Plausible complete answers (demo patients; tests that fill every step)."""

    def habit_adopted(self, answers: Mapping[str, Any]) -> str | None:
        """The id of the daily habit these answers adopt when the step is finished; None for most kinds."""
        return None

    @property
    def collects_answers(self) -> bool:
        """Whether the patient answers something here that their therapist can read and reply to (only such
        a step can be a feedback moment). False unless the kind says so."""
        return False

    def transcript(self) -> str:
        """The text a recorded guide of this step reads (its own words); empty for kinds without one."""
        return ""

    @property
    def pem_fields(self) -> tuple[Field, ...]:
        """The choices of its form that ask about post-exertional malaise: an answer in
        safety.PEM_ANSWERS moves the patient to the pacing path. None unless the kind has such fields."""
        return ()


@dataclass(frozen=True)
class Module:
    """One week of the program."""

    slug: str
    title: str
    week: int
    summary: str
    covers: tuple[str, ...]
    objectives: tuple[str, ...]
    references: tuple[str, ...]
    steps: tuple[Step, ...]
    source: str

    def steps_for(self, path: str) -> tuple[Step, ...]:
        """The steps a patient on this path takes, in order."""
        return tuple(step for step in self.steps if step.path in (None, path))

    def step(self, step_id: str) -> Step | None:
        """The step with this id, or None."""
        for step in self.steps:
            if step.id == step_id:
                return step
        return None

    def index_of(self, step_id: str) -> int:
        """The position of a step (0-based); ValueError when absent."""
        for i, step in enumerate(self.steps):
            if step.id == step_id:
                return i
        raise ValueError(step_id)

    @property
    def step_ids(self) -> tuple[str, ...]:
        """The ids of the steps, in order."""
        return tuple(step.id for step in self.steps)


@dataclass(frozen=True)
class EvidenceLog:
    """Where a statement from the patient's own data is added: a list field of an exercise."""

    module: str
    step: str
    list_field: str
    text: str  # the row's field that receives the statement
    when: str | None = None  # the row's field that receives the dates it is based on
    kind: str | None = None  # the row's choice field for the kind of evidence
    kinds: dict[str, str] = field(default_factory=dict)  # statement id -> option value


@dataclass(frozen=True)
class Catalog:
    """The whole program, loaded once per process and never changed."""

    title: str
    pace_days: int
    modules: tuple[Module, ...]
    habits: dict[str, Habit] = field(default_factory=dict)
    evidence_log: EvidenceLog | None = None
    # The `measures:` schedule as written in course.yaml (validated against the questionnaires at start-up).
    schedule_raw: Any = None
    # How many days a feedback moment waits for the therapist's reply before what it holds opens anyway: the
    # clinic's COURSE_FEEDBACK_DAYS, set when the app loads the program.
    feedback_days: int = FEEDBACK_DAYS
    _outlines: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _fingerprint: list[str] = field(default_factory=list, init=False, repr=False, compare=False)
    _path_steps: dict[str, dict[str, frozenset[str]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _added: dict[str, Mapping[tuple[str, str], date]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _holds: dict[str, Holds] = field(default_factory=dict, init=False, repr=False, compare=False)

    def module(self, slug: str) -> Module | None:
        """The module with this slug, or None."""
        for module in self.modules:
            if module.slug == slug:
                return module
        return None

    def fingerprint(self) -> str:
        """A digest of the program's shape: the pace, each module's slug, week and title, the steps and the
        feedback moments on each path, the days a feedback moment waits, and the dates steps were added: it
        changes whenever what progress and pacing are computed from changes. Worked out once."""
        if not self._fingerprint:
            parts = [str(self.pace_days), str(self.feedback_days)]
            for path in ("standard", "pacing"):
                parts += [f"{slug}:{','.join(steps)}" for slug, steps in self.outline(path)]
                parts += [f"{slug}/{step}:{kind}" for slug, step, kind in self.feedback_holds(path)]
            parts += [f"{m.slug}:{m.week}:{m.title}" for m in self.modules]
            parts += [
                f"{path}:{slug}/{step}:{day}"
                for path in ("standard", "pacing")
                for (slug, step), day in sorted(self.added(path).items())
            ]
            self._fingerprint.append(hashlib.sha256("|".join(parts).encode()).hexdigest())
        return self._fingerprint[0]

    def outline(self, path: str = "standard") -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(slug, step ids on this path) per module in order: the shape the pacing policy needs."""
        # Worked out once per path: every patient page asks for it, and the catalog never changes.
        found = self._outlines.get(path)
        if found is None:
            found = tuple((m.slug, tuple(s.id for s in m.steps_for(path))) for m in self.modules)
            self._outlines[path] = found
        return found

    def feedback_holds(self, path: str = "standard") -> Holds:
        """The feedback moments on this path: (module slug, step id, what it holds), as the pacing policy
        takes them (worked out once per path)."""
        found = self._holds.get(path)
        if found is None:
            found = tuple(
                (m.slug, s.id, s.feedback)
                for m in self.modules
                for s in m.steps_for(path)
                if s.feedback is not None
            )
            self._holds[path] = found
        return found

    def path_steps(self, path: str = "standard") -> dict[str, frozenset[str]]:
        """Each module's step ids on this path, as sets (worked out once per path)."""
        found = self._path_steps.get(path)
        if found is None:
            found = {slug: frozenset(steps) for slug, steps in self.outline(path)}
            self._path_steps[path] = found
        return found

    def added(self, path: str = "standard") -> Mapping[tuple[str, str], date]:
        """(module slug, step id) -> the date it was added, for the steps on this path that say `added:`
        (what the pacing policy needs to waive them; worked out once per path)."""
        found = self._added.get(path)
        if found is None:
            found = MappingProxyType(
                {
                    (m.slug, s.id): s.added
                    for m in self.modules
                    for s in m.steps_for(path)
                    if s.added is not None
                }
            )
            self._added[path] = found
        return found
