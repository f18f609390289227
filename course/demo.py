"""Demo data: the accounts in README.md, with patients at different points of the program.

Safe to run twice: existing accounts are left as they are.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from ._zones import zone_of
from .accounts import create_user, find_user_by_email
from .activity import touch
from .assess.services import save_response
from .config import DEMO_TIMEZONE
from .content.model import Catalog, Field, Step
from .conversations import send
from .enrollment import enroll, record_override
from .journal.services import add_comment, create_entry, set_shared
from .learn.services import program_for, save_step
from .measures import Measure, Schedule, occurrences
from .models import CheckIn, Enrollment, OverrideKind, Role, TryIt, User
from .practice.services import compare_try_it, log_practice, log_reappraisal, start_try_it
from .practice.tools import REAPPRAISAL, SOMATIC, TRY_IT, Tools
from .steps.kinds.check import Check
from .steps.kinds.exercise import Exercise
from .steps.kinds.habit import HabitStep
from .steps.kinds.journal import JournalStep
from .steps.kinds.practice import Practice

# The documented demo password, and the demo staff's authenticator-app key (README.md): public on purpose,
# like all demo data, which is refused outside development.
PASSWORD = "demo-password"  # noqa: S105  # nosec B105
STAFF_TOTP_SECRET = "DEMODEMODEMODEMODEMODEMODEMODEMO"  # noqa: S105  # nosec B105
TIMEZONE = DEMO_TIMEZONE


@dataclass(frozen=True)
class DemoPatient:
    """Where one demo patient stands."""

    number: int
    name: str
    therapist: int
    started_days_ago: int
    steps: int  # how many steps to complete (in order, as the pacing allows)
    person: int  # whose words they write (course/demo_answers.yaml)
    quiet_days: int = 0  # no activity in the last N days
    paused: bool = False


PATIENTS = [
    DemoPatient(1, "Alex Rivera", 1, 70, 10_000, 0),  # finished the program
    DemoPatient(2, "Sam Patel", 1, 24, 24, 1),  # mid-program
    DemoPatient(3, "Jordan Lee", 1, 0, 0, 2),  # just enrolled
    DemoPatient(4, "Casey Morgan", 1, 35, 14, 2, quiet_days=15),  # silent for two weeks
    DemoPatient(5, "Riley Chen", 1, 9, 9, 3),  # week 2
    DemoPatient(6, "Morgan Diaz", 1, 18, 12, 4, paused=True),  # paused by the therapist
    DemoPatient(7, "Taylor Brooks", 2, 12, 11, 5),
    DemoPatient(8, "Jamie Novak", 2, 2, 3, 6),
]


def _account(db: Session, email: str, name: str, role: Role, now: datetime) -> tuple[User, bool]:
    user = find_user_by_email(db, email)
    if user is not None:
        return user, False
    # The demo password is public and common on purpose: demo data is refused outside development.
    user = create_user(
        db,
        email=email,
        display_name=name,
        password=PASSWORD,
        role=role,
        timezone=TIMEZONE,
        now=now,
        enforce_policy=False,
    )
    if role != Role.PATIENT:
        user.totp_secret = STAFF_TOTP_SECRET  # staff sign in with a second factor; this one is in the README
    return user, True


def load_demo(
    db: Session,
    catalog: Catalog,
    now: datetime,
    measures: dict[str, Measure] | None = None,
    schedule: Schedule | None = None,
    tools: Tools | None = None,
) -> int:
    """Create the demo accounts that are missing; returns how many were created. With the program's any-day
    tools, those open to each patient have a few logged uses too."""
    created = 0
    _, new = _account(db, "admin@example.org", "Clinic Admin", Role.ADMIN, now - timedelta(days=90))
    created += new
    therapists = {}
    for number, name in ((1, "Dr. Dana Whitfield"), (2, "Chris Okafor, PT")):
        therapists[number], new = _account(
            db, f"therapist{number}@example.org", name, Role.THERAPIST, now - timedelta(days=90)
        )
        created += new
    for spec in PATIENTS:
        started = now - timedelta(days=spec.started_days_ago, hours=2)
        patient, new = _account(db, f"patient{spec.number}@example.org", spec.name, Role.PATIENT, started)
        if not new:
            continue
        created += 1
        enrollment = enroll(db, patient, therapists[spec.therapist], started)
        if spec.started_days_ago > 0:
            enrollment.screened_at = started + timedelta(minutes=20)
            enrollment.red_flags = []
            enrollment.pem = False
        _work_through(db, enrollment, catalog, spec, now)
        _check_ins(db, patient, spec, now)
        _journal(db, patient, spec, therapists[spec.therapist], now)
        if tools is not None:
            _practice(db, enrollment, catalog, tools, spec, now)
        if spec.number == 2:
            _messages(db, enrollment, patient, therapists[spec.therapist], now)
        if measures and schedule:
            _measures(db, enrollment, spec, measures, schedule, now)
        if spec.paused:
            record_override(
                db,
                enrollment,
                OverrideKind.PAUSE,
                by=therapists[spec.therapist],
                now=now - timedelta(days=3),
                reason="Taking a break during a family move.",
            )
    db.flush()
    return created


def _work_through(
    db: Session, enrollment: Enrollment, catalog: Catalog, spec: DemoPatient, now: datetime
) -> None:
    """Complete steps in order, each at a time the pacing policy allows, until the demo's cut-off."""
    cutoff = now - timedelta(days=spec.quiet_days, hours=1)
    moment = enrollment.started_at + timedelta(hours=1)
    for _ in range(spec.steps):
        state = program_for(db, enrollment, catalog, cutoff)
        # A step added to a week after they had finished it (`added:`) is only offered; the demo's people
        # come back and do it.
        offered = next(((m.slug, step) for m in state.modules for step in m.new_steps), None)
        current = offered or state.current
        if current is None:
            return
        slug, step_id = current
        module_state = state.module(slug)
        module = catalog.module(slug)
        if module_state is None or module_state.opened_at is None or module is None:
            return
        moment = max(moment, module_state.opened_at + timedelta(hours=9)) + timedelta(minutes=12)
        if moment > cutoff:
            return
        step = module.step(step_id)
        if step is None:
            return
        save_step(db, enrollment, slug, step, demo_answers(step, spec.person), complete=True, now=moment)


# What the demo people wrote, per step and field (see the file's header).
WRITTEN: dict[str, dict[str, list[Any]]] = yaml.safe_load(
    (Path(__file__).parent / "demo_answers.yaml").read_text(encoding="utf-8")
)
# Everyone writes their own answers in weeks 1 and 2, where most of the demo caseload is; three people wrote
# the later weeks, which only the furthest along reach.
PERSONS = 7
# For a field nobody wrote for (a clinic's own module, a test program): short answers that differ by field.
_SPARE = (
    "Mostly in the evenings, after a long day.",
    "It eased a little when I slowed down.",
    "Not sure yet. I will keep watching.",
    "Talking it through with my sister helped.",
    "A short walk and a warm drink.",
    "Better than last week, though still up and down.",
)


def _rng(*parts: object) -> random.Random:
    # Seeded demo data, not security: the same person answers a step the same way every time.
    return random.Random("/".join(map(str, parts)))  # noqa: S311  # nosec B311


def _written(step_id: str, field_id: str, person: int) -> Any:
    answers = WRITTEN.get(step_id, {}).get(field_id)
    return answers[person % len(answers)] if answers else None


def _field_answer(step_id: str, field: Field, person: int, row: int = 0) -> Any:
    rng = _rng(step_id, field.id, person, row)
    if field.pem_question:
        return "no"  # the demo's people do not report post-exertional malaise
    if field.kind in ("text", "longtext"):
        written = _written(step_id, field.id, person)
        return written if written is not None else _SPARE[rng.randrange(len(_SPARE))]
    if field.kind == "scale":
        return rng.randint(field.min + (field.max - field.min) // 4, field.max - (field.max - field.min) // 4)
    if field.kind == "choice":
        return field.options[rng.randrange(len(field.options))].value
    if field.kind == "multichoice":
        values = [option.value for option in field.options]
        return sorted(rng.sample(values, min(len(values), rng.randint(1, 3))), key=values.index)
    rows = _written(step_id, field.id, person)
    if not isinstance(rows, list):
        rows = [{}] * max(1, field.min_items or 1)
    answered = []
    for number, written_row in enumerate(rows):
        answer_row = {}
        for item in field.item_fields:
            given = written_row.get(item.id) if isinstance(written_row, dict) else None
            answer_row[item.id] = given if given is not None else _field_answer(step_id, item, person, number)
        answered.append(answer_row)
    return answered


def demo_answers(step: Step, person: int = 0) -> dict[str, Any]:
    """Plausible answers for any step, as demo person `person` (see demo_answers.yaml) would give them,
    so a therapist reading a demo caseload sees people, not one sentence copied into every field."""
    rng = _rng(step.id, person)
    if isinstance(step, Exercise):
        return {field.id: _field_answer(step.id, field, person) for field in step.fields}
    if isinstance(step, Check):
        return {q.id: q.answer for q in step.questions}
    if isinstance(step, Practice):
        answers: dict[str, Any] = {}
        for rating in step.ratings:
            before = rng.randint(4, 8)
            answers[f"{rating.id}-before"] = before
            answers[f"{rating.id}-after"] = max(0, before - rng.randint(0, 3))
        return answers
    if isinstance(step, HabitStep):
        return {"adopt": rng.random() < 0.8}
    if isinstance(step, JournalStep):
        written = _written(step.id, "text", person)
        return {"text": written if written is not None else _SPARE[rng.randrange(len(_SPARE))]}
    return step.example_answers()  # a kind the demo has no written answers for


def _improvement(spec: DemoPatient, day_index: int) -> float:
    """How much lower pain sits after `day_index` days: the demo shows people improving at different rates."""
    rate = {1: 0.06, 2: 0.05, 5: 0.04, 7: 0.03}.get(spec.number, 0.01)
    return min(3.5, day_index * rate)


def _check_ins(db: Session, patient: User, spec: DemoPatient, now: datetime) -> None:
    """Daily check-ins where pain follows sleep and stress, so the evidence page has patterns to show."""
    if spec.started_days_ago == 0:
        return  # just enrolled: nothing yet
    # Seeded demo data, not security.
    rng = random.Random(spec.number)  # noqa: S311  # nosec B311
    zone = zone_of(patient)
    today = now.astimezone(zone).date()
    first = (now - timedelta(days=spec.started_days_ago)).astimezone(zone).date()
    last = today - timedelta(days=spec.quiet_days)
    day = first
    index = 0
    while day <= last:
        if rng.random() < 0.85:
            sleep = rng.choice([4.5, 5, 5.5, 6, 6.5, 7, 7, 7.5, 8, 8.5])
            stress = rng.randint(1, 9)
            pain = 6 - _improvement(spec, index) + (1.5 if sleep < 6 else 0) + (1.2 if stress >= 7 else 0)
            pain += rng.uniform(-1, 1)
            evening = datetime.combine(day, time(20, 0), tzinfo=zone).astimezone(UTC)
            at = min(evening, now - timedelta(minutes=5))
            touch(patient, at)
            db.add(
                CheckIn(
                    patient_id=patient.id,
                    day=day,
                    pain=max(0, min(10, round(pain))),
                    sleep_hours=sleep,
                    sleep_quality=rng.randint(2, 8),
                    stress=stress,
                    mood=rng.choice(["good", "okay", "low"]),
                    created_at=at,
                    updated_at=at,
                )
            )
        day += timedelta(days=1)
        index += 1
    db.flush()


# Two free journal entries per demo person (an older one, which some share, and yesterday's).
JOURNAL = (
    (
        "Today I noticed the pain was lower while I was busy in the garden. When I stopped and thought about "
        "it, it came back a bit.",
        "A hard morning. I reminded myself that hurt does not always mean harm.",
    ),
    (
        "Sports day at school. I expected to be wrecked but I was so busy cheering that I forgot my legs.",
        "Tired and achy today. I let the kids have pizza and took ten minutes to myself. No guilt.",
    ),
    (
        "Drove to my daughter's for the first time in months. Neck was tight for the first mile, then eased.",
        "Rainy day, stiff shoulders. The dog and I still went round the park, slowly.",
    ),
    (
        "Four nights off in a row. My knee has been quieter than it has been in months.",
        "Back on nights. Knee grumbling, but I did the breathing on my break.",
    ),
    (
        "Unpacked the kitchen today in short bursts with breaks. Hip was sore but not the crash I expected.",
        "The move is nearly done. I slept properly for the first time in weeks.",
    ),
    (
        "Took a proper lunch away from the screen. No headache until the evening.",
        "Client call went badly. Jaw tight all afternoon. I noticed it sooner than usual though.",
    ),
    (
        "Walked to the corner shop and back without thinking about my ankle once.",
        "Saw a runner go past and felt my ankle tense. Wrote it in my log.",
    ),
)


def _journal(db: Session, patient: User, spec: DemoPatient, therapist: User, now: datetime) -> None:
    """A free entry or two; some shared, one with a reply from the therapist."""
    if spec.started_days_ago < 3 or spec.quiet_days:
        return
    written = now - timedelta(days=2, hours=3)
    first, second = JOURNAL[spec.person % len(JOURNAL)]
    saved = create_entry(db, patient, first, now=written)
    if spec.number in (1, 2, 7):
        set_shared(saved.entry, True, written)
    if spec.number == 1:
        add_comment(
            db,
            saved.entry,
            therapist,
            "That is a great piece of evidence for your log.",
            written + timedelta(hours=20),
        )
    create_entry(db, patient, second, now=now - timedelta(days=1, hours=5))


# What the demo people wrote with the any-day tools (course/practice/), by person as in demo_answers.yaml:
# a somatic tracking note, a pain thought answered from their own evidence (belief before and after, 0-100),
# and "try it" experiments (the activity, the prediction and its 0-10 rating, what happened and its rating).
PRACTICE_NOTES = (
    "Warmth in my lower back. It felt less sharp when I stayed curious about it.",
    "Aching in my shoulders. I told myself it was the alarm, and my breathing slowed.",
    "Tight neck. It shifted to a tingle, then faded a bit.",
    "Knee buzzing after a shift. Noticed it without rushing to stretch it.",
    "Hip sore from lifting boxes. Fear went down once I named it as a sensation.",
    "Pressure at my temples. It softened while I watched it.",
    "Ankle tense after seeing a runner. It settled after a couple of minutes.",
)
REAPPRAISALS = (
    (
        "If I bend to weed, my back will give out.",
        "My log says the same weeding was fine on a calm, rested day. Stress and sleep turn it up.",
        80,
        45,
    ),
    (
        "This pain everywhere means something is getting worse.",
        "It moves around and eases when I'm busy with the kids. That fits a loud alarm, not damage.",
        70,
        40,
    ),
    (
        "Driving will hurt my neck again.",
        "My scan was clear, and the pain starts before I even drive. The car is a trigger, not an injury.",
        85,
        50,
    ),
    (
        "My knee is wearing out.",
        "It is quieter on my days off. Wear and tear would not take the weekend off.",
        75,
        40,
    ),
    (
        "Lifting will wreck my hip for good.",
        "I packed half the kitchen in short bursts and felt sore, not broken. It settled by morning.",
        70,
        35,
    ),
    (
        "These headaches mean something is wrong in my head.",
        "They come on the days I skip lunch and clench my jaw. They ease when I step away.",
        65,
        30,
    ),
    (
        "Running will break my ankle again.",
        "The sprain healed long ago. The fear comes when I see runners, even when I'm sitting still.",
        80,
        55,
    ),
)
TRY_ITS = (
    (
        (
            "Weed the front bed for 15 minutes",
            "My back will lock up tonight.",
            8,
            "A bit stiff, then fine by dinner.",
            4,
        ),
        (
            "Carry the shopping in from the car",
            "Sharp pain when I lift the bags.",
            7,
            "Heavy, but it didn't hurt much.",
            3,
        ),
    ),
    (
        (
            "Stand through the school assembly",
            "My legs will ache all evening.",
            7,
            "Tired legs, but I enjoyed it.",
            4,
        ),
        (
            "Ride bikes with the kids to the park",
            "I'll pay for it for two days.",
            8,
            "Achy that night, okay next day.",
            3,
        ),
    ),
    (
        (
            "Drive to my daughter's house",
            "My neck will seize up on the motorway.",
            8,
            "Tight for a mile, then eased.",
            3,
        ),
        ("Lift my grandson onto the swing", "It will hurt my shoulder.", 6, "No real pain at all.", 1),
    ),
)


def _practice(
    db: Session, enrollment: Enrollment, catalog: Catalog, tools: Tools, spec: DemoPatient, now: datetime
) -> None:
    """A few uses of each tool open to the patient: somatic tracking logs (fear before and after), pain
    thoughts answered from their evidence, and "try it" experiments compared with what they predicted, so
    the evidence page and the therapist's view have something to show."""
    patient = enrollment.patient
    cutoff = now - timedelta(days=spec.quiet_days, hours=2)
    open_ids = tools.open_ids(program_for(db, enrollment, catalog, cutoff))
    rng = _rng("practice", spec.number)
    if SOMATIC in open_ids and tools.somatic is not None and tools.somatic.scripts:
        for n, script in enumerate(tools.somatic.scripts[:3]):
            before = rng.randint(5, 8)
            at = cutoff - timedelta(days=2 * n + 1, hours=rng.randint(0, 6))
            logged: dict[str, Any] = {"fear_before": before, "fear_after": max(0, before - rng.randint(1, 4))}
            if n == 0:
                logged["note"] = PRACTICE_NOTES[spec.person % len(PRACTICE_NOTES)]
            log_practice(db, patient, script, logged, now=at)
    if REAPPRAISAL in open_ids:
        thought, answer, before, after = REAPPRAISALS[spec.person % len(REAPPRAISALS)]
        answered = {"thought": thought, "answer": answer, "belief_before": before, "belief_after": after}
        log_reappraisal(db, patient, answered, now=cutoff - timedelta(days=3, hours=4))
    if TRY_IT in open_ids:
        for n, (activity, prediction, predicted, outcome, actual) in enumerate(
            TRY_ITS[spec.person % len(TRY_ITS)]
        ):
            at = cutoff - timedelta(days=6 - 3 * n, hours=5)
            planned = {"activity": activity, "prediction": prediction, "predicted": predicted, "sure": 70}
            row = start_try_it(db, patient, False, planned, now=at).row
            if isinstance(row, TryIt):
                happened = {"outcome": outcome, "actual": actual}
                compare_try_it(db, patient, row, happened, now=at + timedelta(hours=3))
    db.flush()


def _messages(db: Session, enrollment: Enrollment, patient: User, therapist: User, now: datetime) -> None:
    """A short conversation: a question answered, and a newer message waiting for the therapist's reply."""
    send(db, enrollment, patient, DEMO_MESSAGES[0], now=now - timedelta(days=3, hours=4))
    send(db, enrollment, therapist, DEMO_MESSAGES[1], now=now - timedelta(days=2, hours=22))
    send(db, enrollment, patient, DEMO_MESSAGES[2], now=now - timedelta(hours=5))


DEMO_MESSAGES = (
    "Is it normal that the pain moves from my lower back to my hip on some days?",
    "Yes, that is common. Pain that moves around is a sign of a sensitive alarm system rather than "
    "damage in one place. It is worth noting in your evidence log.",
    "I tried the somatic tracking during a flare yesterday. The tightness eased a little after a few "
    "minutes.",
)


def _measures(
    db: Session,
    enrollment: Enrollment,
    spec: DemoPatient,
    measures: dict[str, Measure],
    schedule: Schedule,
    now: datetime,
) -> None:
    """Answer the questionnaires that were due, with pain falling over time for those who improve."""
    # Seeded demo data, not security.
    rng = random.Random(100 + spec.number)  # noqa: S311  # nosec B311
    cutoff = now - timedelta(days=spec.quiet_days)
    for due in occurrences(schedule, enrollment.started_at, zone_of(enrollment.patient)):
        if due.opens_at > cutoff or due.closes_at < enrollment.started_at:
            continue
        measure = measures.get(due.measure_id)
        if measure is None:
            continue
        day = max(0, (due.opens_at - enrollment.started_at).days)
        answers: dict[str, int] = {}
        for item in measure.items:
            low, high = item.min_value, item.max_value
            if measure.id.startswith("pain") or measure.id == "damage-belief":
                value = round(6 - _improvement(spec, day) + rng.uniform(-0.5, 0.5))
            elif measure.id == "pgic":
                value = 2 if spec.number in (1, 2) else 4
            else:
                value = rng.choice([0, 0, 1, 1, 2]) if day < 30 else rng.choice([0, 0, 1])
            if item.safety:
                value = 1 if spec.number == 7 and day == 0 else low
            answers[item.id] = max(low, min(high, value))
        when = max(due.opens_at + timedelta(hours=10), enrollment.started_at + timedelta(minutes=30))
        save_response(db, enrollment, measure, due.due_key, answers, complete=True, now=when)
