"""The learning rules: what a patient may open (asking the pacing policy) and saving their work."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import Any, NamedTuple

from sqlalchemy import (
    JSON,
    BindParameter,
    CompoundSelect,
    Date,
    Integer,
    String,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .._zones import zone_of
from ..activity import touch
from ..content.model import PATHS, Catalog, Field, Recall, Step
from ..habits import set_habit
from ..journal.services import create_entry, own_entry, update_entry
from ..measures.schedule import Due, Schedule, due_measures
from ..models import (
    CheckIn,
    Enrollment,
    FeedbackRequest,
    JournalEntry,
    MeasureResponse,
    ProgramOverride,
    StepProgress,
    StepStatus,
)
from ..pacing import OverrideEvent, OverrideKindName, ProgramState, program_state
from ..safety_watch import WrittenIn, report_pem, watch_words
from ..schema import UTCDateTime
from ..steps.kinds.journal import JournalStep


@dataclass(frozen=True)
class StepSaved:
    """The saved progress; whether what was written calls for crisis help; whether an answer revealing
    post-exertional malaise moved the patient to the pacing path; whether a feedback moment was finished."""

    progress: StepProgress
    crisis: bool
    switched_to_pacing: bool = False
    asked_for_feedback: bool = False  # a feedback moment finished: the therapist is to be told


@dataclass(frozen=True)
class SavedAnswers:
    """What the patient saved on one step, for showing it again (saving goes through `save_step`)."""

    status: StepStatus
    answers: dict[str, Any]
    completed_at: datetime | None


@dataclass(frozen=True)
class HomeFacts:
    """Everything the patient's home page shows that comes from the database."""

    state: ProgramState
    due: list[Due]
    checked_in_today: bool
    replies: list[Replied]


# A patient page reads its data in one statement: small selects for one patient joined by UNION ALL, each row
# tagged with what it is. Built once per process, with bound parameters: a request does not build the SQL
# expression again, and SQLAlchemy's compiled cache finds its SQL. Columns: tag, two texts, a time, saved
# answers, a day; `read_facts` gives each row as the named fact its tag names. Keyed by the patient's user id.
_USER_ID = bindparam("user_id", type_=Integer)
_ENROLLMENT = select(Enrollment.id).where(Enrollment.patient_id == _USER_ID).scalar_subquery()
_NO_TEXT = cast(null(), String)
_NO_TIME = cast(null(), UTCDateTime)
_NO_ANSWERS = cast(null(), JSON)
_NO_DAY = cast(null(), Date)

# Completed steps come one row per module: its step ids joined by spaces (ids are slugs, which never hold one)
# and its latest completion. The pacing policy needs no more than that while every completed step of a module
# is on the patient's path; reading each step's time cost more than the rest of the page. When a module holds
# a completed step that is off the path (the content or the path changed since), `_state` reads each step's
# time in a second statement. A step added to a module later (`added:`, given as "module/step" in `added`)
# comes in a row of its own: whether it is waived and when its module was finished depend on its own time
# and on the latest of the others (pacing.waived_steps), which these rows give exactly.
_NOW = bindparam("now", type_=UTCDateTime)
_SPACE: Any = literal_column("' '")
_ADDED: BindParameter[list[str]] = bindparam("added", value=[], expanding=True)
_ADDED_STEP = case(
    (
        (StepProgress.module_slug + literal_column("'/'", String) + StepProgress.step_id).in_(_ADDED),
        StepProgress.step_id,
    ),
    else_=literal_column("''", String),
)
_COMPLETED = (
    select(
        literal_column("'done'").label("tag"),
        StepProgress.module_slug.label("a"),
        # The separator as SQL text: a Python string would be bound anew into the SQL on every execution.
        func.aggregate_strings(StepProgress.step_id, _SPACE).label("b"),
        func.max(StepProgress.completed_at).label("at"),
        _NO_ANSWERS.label("answers"),
        _NO_DAY.label("day"),
    )
    .where(
        StepProgress.enrollment_id == _ENROLLMENT,
        StepProgress.status == StepStatus.COMPLETE,
        StepProgress.completed_at <= _NOW,
    )
    .group_by(StepProgress.module_slug, _ADDED_STEP)
)
_COMPLETED_STEPS = select(StepProgress.module_slug, StepProgress.step_id, StepProgress.completed_at).where(
    StepProgress.enrollment_id == _ENROLLMENT,
    StepProgress.status == StepStatus.COMPLETE,
    StepProgress.completed_at <= _NOW,
)
_OVERRIDES = select(
    literal_column("'override'"), ProgramOverride.kind, _NO_TEXT, ProgramOverride.at, _NO_ANSWERS, _NO_DAY
).where(ProgramOverride.enrollment_id == _ENROLLMENT)
_SAVED = select(
    literal_column("'saved'"),
    StepProgress.status,
    _NO_TEXT,
    StepProgress.completed_at,
    StepProgress.answers,
    _NO_DAY,
).where(
    StepProgress.enrollment_id == _ENROLLMENT,
    StepProgress.module_slug == bindparam("module_slug"),
    StepProgress.step_id == bindparam("step_id"),
)
_ANSWERED = select(
    literal_column("'answered'"),
    MeasureResponse.measure_id,
    MeasureResponse.due_key,
    _NO_TIME,
    _NO_ANSWERS,
    _NO_DAY,
).where(MeasureResponse.enrollment_id == _ENROLLMENT, MeasureResponse.complete.is_(true()))
# The days checked in from the day before today in UTC: the patient's today is among them if they checked in
# (no time zone is a day or more away from UTC), and the statement need not know their zone. A check-in is
# unique per patient and local day, so these are a few rows at most.
_CHECKED_IN = select(
    literal_column("'checkin'"), _NO_TEXT, _NO_TEXT, _NO_TIME, _NO_ANSWERS, CheckIn.day
).where(CheckIn.patient_id == _USER_ID, CheckIn.day >= bindparam("from_day", type_=Date))

# The therapist's replies to the patient's feedback moments (the pacing policy lets go at a reply): the module
# and step joined by a space, the reply's words and time.
_REPLIES = select(
    literal_column("'reply'"),
    FeedbackRequest.module_slug.concat(_SPACE).concat(FeedbackRequest.step_id),
    FeedbackRequest.reply,
    FeedbackRequest.replied_at,
    _NO_ANSWERS,
    _NO_DAY,
).where(FeedbackRequest.enrollment_id == _ENROLLMENT, FeedbackRequest.replied_at <= _NOW)

PROGRAM: CompoundSelect[Any] = union_all(_COMPLETED, _OVERRIDES, _REPLIES)
STEP_PAGE: CompoundSelect[Any] = union_all(_COMPLETED, _OVERRIDES, _REPLIES, _SAVED)
HOME_PAGE: CompoundSelect[Any] = union_all(_COMPLETED, _OVERRIDES, _REPLIES, _ANSWERED, _CHECKED_IN)


class Done(NamedTuple):
    """A module's completed steps (on `_COMPLETED`'s terms: up to `now`) and the latest completion."""

    module_slug: str
    step_ids: tuple[str, ...]
    latest: datetime


class Override(NamedTuple):
    """A therapist's pacing change (pause, resume, unlock next)."""

    kind: OverrideKindName
    at: datetime


class Replied(NamedTuple):
    """The therapist's reply to one of the patient's feedback moments."""

    module_slug: str
    step_id: str
    text: str
    at: datetime


class Answered(NamedTuple):
    """A questionnaire completed for one of its due dates."""

    measure_id: str
    due_key: str


class CheckedIn(NamedTuple):
    """A local day the patient checked in (see `_CHECKED_IN`)."""

    day: date


Fact = Done | Override | Replied | SavedAnswers | Answered | CheckedIn


def _fact(row: Sequence[Any]) -> Fact:
    """One row of a page's UNION ALL as the fact its tag names."""
    tag, text, other, at, answers, day = row
    if tag == "done":
        return Done(text, tuple(other.split(" ")), at)
    if tag == "override":
        return Override(text, at)
    if tag == "reply":
        module_slug, step_id = text.split(" ", 1)
        return Replied(module_slug, step_id, other or "", at)
    if tag == "saved":
        return SavedAnswers(StepStatus(text), dict(answers or {}), at)
    if tag == "answered":
        return Answered(text, other)
    if tag == "checkin":
        return CheckedIn(day)
    raise ValueError(f"a page's facts have no kind {tag!r}")


def read_facts(db: Session, statement: CompoundSelect[Any], params: dict[str, Any]) -> list[Fact]:
    """The facts one of the page statements (`PROGRAM`, `STEP_PAGE`, `HOME_PAGE`) reads for `params`."""
    return [_fact(row) for row in db.execute(statement, params)]


def home_params(now: datetime) -> dict[str, Any]:
    """HOME_PAGE's parameters but the user's id."""
    return {"now": now, "from_day": now.astimezone(UTC).date() - timedelta(days=1)}


def step_params(module_slug: str, step_id: str, now: datetime) -> dict[str, Any]:
    """STEP_PAGE's parameters but the user's id."""
    return {"now": now, "module_slug": module_slug, "step_id": step_id}


def added_keys(catalog: Catalog) -> list[str]:
    """The steps added to modules later (`added:`, on either path) as "module/step", for `_COMPLETED`."""
    return sorted({f"{slug}/{step}" for path in PATHS for slug, step in catalog.added(path)})


def path_of(enrollment: Enrollment) -> str:
    """The patient's path: 'pacing' after post-exertional malaise was reported, else 'standard'."""
    return "pacing" if enrollment.pem else "standard"


def program_for(db: Session, enrollment: Enrollment, catalog: Catalog, now: datetime) -> ProgramState:
    """Ask the pacing policy about this patient, from their completions and overrides (one statement)."""
    params = {"user_id": enrollment.patient_id, "now": now, "added": added_keys(catalog)}
    facts = read_facts(db, PROGRAM, params)
    return _state(db, enrollment, catalog, facts, now)


class StepFacts(NamedTuple):
    """What a step page reads: the program state, what was saved on the step, and the therapist's reply to
    it when it is a feedback moment that has one."""

    state: ProgramState
    saved: SavedAnswers | None
    reply: Replied | None


def step_page_facts(
    db: Session, enrollment: Enrollment, catalog: Catalog, module_slug: str, step_id: str, now: datetime
) -> StepFacts:
    """The program state, what was saved on one step and the reply to it, in one statement."""
    params = {
        **step_params(module_slug, step_id, now),
        "user_id": enrollment.patient_id,
        "added": added_keys(catalog),
    }
    facts = read_facts(db, STEP_PAGE, params)
    saved = next((fact for fact in facts if isinstance(fact, SavedAnswers)), None)
    reply = next(
        (
            f
            for f in facts
            if isinstance(f, Replied) and f.module_slug == module_slug and f.step_id == step_id
        ),
        None,
    )
    return StepFacts(_state(db, enrollment, catalog, facts, now), saved, reply)


def home_facts(
    db: Session, enrollment: Enrollment, catalog: Catalog, schedule: Schedule, now: datetime
) -> HomeFacts:
    """The program state, the questionnaires due and whether today's check-in is done, in one statement."""
    zone = zone_of(enrollment.patient)
    params = {**home_params(now), "user_id": enrollment.patient_id, "added": added_keys(catalog)}
    facts = read_facts(db, HOME_PAGE, params)
    answered = {(fact.measure_id, fact.due_key) for fact in facts if isinstance(fact, Answered)}
    today = now.astimezone(zone).date()
    return HomeFacts(
        state=_state(db, enrollment, catalog, facts, now),
        due=due_measures(schedule, enrollment.started_at, zone, now, answered),
        checked_in_today=any(isinstance(fact, CheckedIn) and fact.day == today for fact in facts),
        replies=sorted(
            (fact for fact in facts if isinstance(fact, Replied)), key=lambda r: r.at, reverse=True
        ),
    )


def _state(
    db: Session, enrollment: Enrollment, catalog: Catalog, facts: Sequence[Fact], now: datetime
) -> ProgramState:
    """The pacing policy's answer for a page's facts (their completions per module and overrides).

    A module's steps count as completed at its latest completion (a step added later, at its own: see
    `_COMPLETED`): all the policy needs while every one of them is on the patient's path. When a module holds
    a completed step that is off the path (the content or the path changed since), each step's own time is
    read in a second statement.
    """
    path_steps = catalog.path_steps(path_of(enrollment))
    completions: dict[tuple[str, str], datetime] = {}
    overrides: list[OverrideEvent] = []
    read_each = False
    replies: dict[tuple[str, str], datetime] = {}
    for fact in facts:
        if isinstance(fact, Done):
            for step_id in fact.step_ids:
                completions[(fact.module_slug, step_id)] = fact.latest
            on_path = path_steps.get(fact.module_slug)
            if on_path is not None and not on_path.issuperset(fact.step_ids):
                read_each = True
        elif isinstance(fact, Override):
            overrides.append(OverrideEvent(fact.kind, fact.at))
        elif isinstance(fact, Replied):
            replies[(fact.module_slug, fact.step_id)] = fact.at
    if read_each:
        # A module's latest completion may be an off-path step's: the policy needs each step's own time.
        completions = {
            (slug, step_id): at
            for slug, step_id, at in db.execute(
                _COMPLETED_STEPS, {"user_id": enrollment.patient_id, "now": now}
            )
            if at is not None
        }
    return policy_for(enrollment, catalog, completions, overrides, now, replies)


def policy_for(
    enrollment: Enrollment,
    catalog: Catalog,
    completions: Mapping[tuple[str, str], datetime],
    overrides: Sequence[OverrideEvent],
    now: datetime,
    replies: Mapping[tuple[str, str], datetime] = MappingProxyType({}),
) -> ProgramState:
    """`pacing.program_state` for this enrollment: its path's outline, its start, the patient's time zone and
    the catalog's pace, the path's feedback moments with the therapist's replies to them (their times) and
    the clinic's days a feedback moment waits, and the steps added to modules later."""
    path = path_of(enrollment)
    return program_state(
        catalog.outline(path),
        enrollment.started_at,
        zone_of(enrollment.patient),
        catalog.pace_days,
        completions,
        overrides,
        now,
        catalog.feedback_holds(path),
        replies,
        catalog.feedback_days,
        added=catalog.added(path),
    )


def get_progress(db: Session, enrollment: Enrollment, module_slug: str, step_id: str) -> StepProgress | None:
    """The saved progress on one step, if any."""
    return db.scalar(
        select(StepProgress).where(
            StepProgress.enrollment_id == enrollment.id,
            StepProgress.module_slug == module_slug,
            StepProgress.step_id == step_id,
        )
    )


def save_step(
    db: Session,
    enrollment: Enrollment,
    module_slug: str,
    step: Step,
    answers: dict[str, Any],
    *,
    complete: bool,
    now: datetime,
) -> StepSaved:
    """Save answers to a step; completing is permanent (a later 'save for later' keeps it complete).

    A journal step's text becomes (or updates) a journal entry, linked from the answers; `crisis` says
    whether crisis help must be shown.
    """
    progress = get_progress(db, enrollment, module_slug, step.id)
    if progress is None:
        progress = StepProgress(
            enrollment_id=enrollment.id,
            module_slug=module_slug,
            step_id=step.id,
            status=StepStatus.STARTED,
            answers={},
            started_at=now,
            updated_at=now,
        )
        try:
            with db.begin_nested():
                db.add(progress)
        except IntegrityError:
            # A double submit raced us to the insert; update the row it created.
            found = get_progress(db, enrollment, module_slug, step.id)
            if found is None:
                raise
            progress = found
    crisis = False
    written_in = WrittenIn("step", f"the step “{step.title}”", {"module": module_slug, "step": step.id})
    if isinstance(step, JournalStep):
        # Its text becomes a journal entry, whose save watches the words.
        answers, crisis = _save_journal_answer(db, enrollment, module_slug, step, progress, answers, now)
    else:
        # Only words new since the last save: saving the same answer again raises no second alert.
        before = set(step.free_texts(progress.answers or {}))
        new_words = [text for text in step.free_texts(answers) if text not in before]
        crisis = watch_words(db, enrollment, new_words, written_in, now)
    switched = False
    for spec in step.pem_fields:
        if isinstance(answers.get(spec.id), str):
            switched = report_pem(db, enrollment, answers[spec.id], written_in, now) or switched
    if complete and (habit_id := step.habit_adopted(answers)) is not None:
        set_habit(db, enrollment.patient, habit_id, True, now)
    progress.answers = answers
    progress.updated_at = now
    touch(enrollment, now)
    asked = False
    if complete and progress.status != StepStatus.COMPLETE:
        progress.status = StepStatus.COMPLETE
        progress.completed_at = now
        if step.feedback is not None:
            asked = ask_for_feedback(db, enrollment, module_slug, step.id, now)
    db.flush()
    return StepSaved(progress, crisis, switched, asked)


def ask_for_feedback(
    db: Session, enrollment: Enrollment, module_slug: str, step_id: str, now: datetime
) -> bool:
    """Note that the patient finished a feedback moment: their answers now wait for the therapist's reply.
    False when it was already noted (a double submit)."""
    try:
        with db.begin_nested():
            db.add(
                FeedbackRequest(
                    enrollment_id=enrollment.id, module_slug=module_slug, step_id=step_id, asked_at=now
                )
            )
    except IntegrityError:
        return False
    return True


def _save_journal_answer(
    db: Session,
    enrollment: Enrollment,
    module_slug: str,
    step: JournalStep,
    progress: StepProgress,
    answers: dict[str, Any],
    now: datetime,
) -> tuple[dict[str, Any], bool]:
    """Create or update the journal entry behind a journal step; returns the answers and the crisis flag."""
    text = str(answers.get("text", ""))
    entry_id = (progress.answers or {}).get("entry_id")
    entry = own_entry(db, enrollment.patient, int(entry_id)) if entry_id else None
    if not text.strip() and entry is None:
        return {}, False
    if entry is None:
        saved = create_entry(
            db,
            enrollment.patient,
            text,
            now=now,
            prompt=step.prompt,
            module_slug=module_slug,
            step_id=step.id,
        )
    else:
        saved = update_entry(db, enrollment.patient, entry, text, base_revision=entry.revision, now=now)
    return {"entry_id": saved.entry.id}, saved.crisis


def journal_text(db: Session, enrollment: Enrollment, progress: StepProgress | SavedAnswers | None) -> str:
    """The text of the journal entry a journal step created, for showing it again."""
    entry_id = (progress.answers or {}).get("entry_id") if progress else None
    entry = db.get(JournalEntry, entry_id) if entry_id else None
    return entry.text if entry is not None and entry.patient_id == enrollment.patient_id else ""


def orphaned_progress(db: Session, catalog: Catalog) -> list[tuple[str, str, int]]:
    """(module, step, patients) for saved progress on steps the program no longer has."""
    known = {(m.slug, s) for m in catalog.modules for s in m.step_ids}
    rows = db.execute(
        select(StepProgress.module_slug, StepProgress.step_id, func.count(StepProgress.id)).group_by(
            StepProgress.module_slug, StepProgress.step_id
        )
    )
    return sorted((m, s, n) for m, s, n in rows if (m, s) not in known)


def held_back_by_added(db: Session, catalog: Catalog, now: datetime) -> list[tuple[str, str, int]]:
    """(module, step, patients) for steps added later (`added:`) that now hold a module for patients who had
    already gone on to a later one: the date was written earlier than the day the step reached them
    (docs/CONTENT.md). `flask check` warns about them."""
    added = {key for path in PATHS for key in catalog.added(path)}
    if not added:
        return []
    order = {module.slug: index for index, module in enumerate(catalog.modules)}
    later: dict[int, int] = {}  # enrollment id -> the furthest module with a completed step
    for enrollment_id, slug in db.execute(
        select(StepProgress.enrollment_id, StepProgress.module_slug)
        .where(StepProgress.status == StepStatus.COMPLETE)
        .group_by(StepProgress.enrollment_id, StepProgress.module_slug)
    ):
        if slug in order:
            later[enrollment_id] = max(later.get(enrollment_id, -1), order[slug])
    counts: dict[tuple[str, str], int] = {}
    for enrollment in db.scalars(select(Enrollment).where(Enrollment.id.in_(list(later)))):
        state = program_for(db, enrollment, catalog, now)
        for module_state in state.modules:
            step = module_state.next_step
            if (module_state.slug, step) in added and later[enrollment.id] > module_state.position:
                key = (module_state.slug, str(step))
                counts[key] = counts.get(key, 0) + 1
    return sorted((slug, step, n) for (slug, step), n in counts.items())


@dataclass(frozen=True)
class Recalled:
    """An earlier answer shown back above a step (`recall:`): the heading, the patient's answer in words
    (their own text, or the labels of what they chose), or None when they left it empty (then `missing` is
    shown, or nothing when the content gives no such words)."""

    label: str
    text: str | None
    missing: str | None


def recalled_answer(db: Session, enrollment: Enrollment, catalog: Catalog, recall: Recall) -> Recalled | None:
    """What the patient answered to the field a step recalls; None when there is nothing to show (no answer
    and no words for that, or the field is not in the program any more)."""
    module = catalog.module(recall.module_slug)
    step = module.step(recall.step_id) if module else None
    spec = next((f for f in getattr(step, "fields", ()) if f.id == recall.field_id), None)
    if spec is None:
        return None
    saved = db.scalar(
        select(StepProgress.answers).where(
            StepProgress.enrollment_id == enrollment.id,
            StepProgress.module_slug == recall.module_slug,
            StepProgress.step_id == recall.step_id,
        )
    )
    text = answer_words(spec, (saved or {}).get(recall.field_id))
    if text is None and recall.missing is None:
        return None
    return Recalled(recall.label, text, recall.missing)


def answer_words(spec: Field, value: Any) -> str | None:
    """A saved answer to a text or choice field in words (choices by their labels); None when empty."""
    labels = {option.value: option.label for option in spec.options}
    if spec.kind == "multichoice":
        chosen = [labels.get(str(v), str(v)) for v in value or () if str(v).strip()]
        return ", ".join(chosen) or None
    if value is None or not str(value).strip():
        return None
    return labels.get(str(value), str(value)) if spec.kind == "choice" else str(value).strip()
