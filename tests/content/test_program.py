"""The real program in modules/: readable, complete, and covering every part of pain reprocessing."""

from __future__ import annotations

import math
import re
from collections import Counter
from html import unescape
from pathlib import Path

import pytest
import textstat
from markdown_it import MarkdownIt

from course.content.includes import red_flags_markdown
from course.content.loader import load_catalog
from course.content.model import COMPONENTS, PATHS, REPROCESSING_COMPONENTS, Catalog, Field, Module, Step
from course.safety.red_flags import RED_FLAGS, TIERS, flags_in
from course.steps.kinds.check import Check
from course.steps.kinds.exercise import Exercise
from course.steps.kinds.habit import HabitStep
from course.steps.kinds.journal import JournalStep
from course.steps.kinds.lesson import WORDS_PER_MINUTE, Lesson
from course.steps.kinds.practice import Practice
from course.steps.registry import KINDS

PROGRAM = Path(__file__).parent.parent.parent / "modules"
MAX_GRADE = 8.0
_md = MarkdownIt("commonmark")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(PROGRAM)


def plain_text(markdown: str) -> str:
    """The words a patient reads, one sentence per block (headings and list items count as sentences)."""
    blocks = []
    for token in _md.parse(markdown):
        if token.type == "inline":
            text = "".join(
                child.content for child in token.children or [] if child.type in ("text", "code_inline")
            )
            text = re.sub(r"\s+", " ", text).strip()
            if text:
                blocks.append(text if text[-1] in ".!?:" else text + ".")
    return " ".join(blocks)


def lessons(catalog: Catalog) -> list[tuple[str, Lesson]]:
    return [(f"{m.slug}/{s.id}", s) for m in catalog.modules for s in m.steps if isinstance(s, Lesson)]


def test_program_lessons_read_at_grade_8_or_below(catalog: Catalog) -> None:
    too_hard = {}
    for name, lesson in lessons(catalog):
        grade = textstat.flesch_kincaid_grade(plain_text(lesson.text))
        if grade > MAX_GRADE:
            too_hard[name] = grade
    assert not too_hard, f"lessons above grade {MAX_GRADE}: {too_hard}"


def test_program_lessons_take_under_five_minutes(catalog: Catalog) -> None:
    slow = {name: lesson.minutes for name, lesson in lessons(catalog) if lesson.minutes >= 5}
    assert not slow, slow
    # What the patient reads includes the red-flag list an include puts in, so time that text too.
    read = {name: math.ceil(len(lesson.text.split()) / WORDS_PER_MINUTE) for name, lesson in lessons(catalog)}
    assert not {name: minutes for name, minutes in read.items() if minutes >= 5}, read


def test_program_has_eight_weekly_modules(catalog: Catalog) -> None:
    assert [m.week for m in catalog.modules] == list(range(1, 9))
    assert catalog.pace_days == 7


def test_program_every_module_has_each_required_kind_of_step(catalog: Catalog) -> None:
    # Counted on each path, as a patient meets the week: a step for one path replaces one for the other.
    for module in catalog.modules:
        for path in PATHS:
            kinds = Counter(step.type for step in module.steps_for(path))
            where = (module.slug, path, kinds)
            assert 2 <= kinds["lesson"] <= 4, where
            assert kinds["exercise"] >= 1, where
            assert kinds["check"] >= 1, where
            assert kinds["journal"] >= 1, where
            assert kinds["practice"] + kinds["habit"] >= 1, where
        assert module.references, module.slug
        assert module.objectives, module.slug
        assert module.summary, module.slug


def test_program_covers_all_five_components_and_sleep_stress_movement(catalog: Catalog) -> None:
    covered = {word for module in catalog.modules for word in module.covers}
    assert set(REPROCESSING_COMPONENTS) <= covered
    assert {"sleep", "stress", "movement"} <= covered
    assert covered <= set(COMPONENTS)


def test_program_references_name_a_year(catalog: Catalog) -> None:
    for module in catalog.modules:
        for reference in module.references:
            assert re.search(r"\b(19|20)\d\d\b", reference), (module.slug, reference)


def test_program_weekly_habits_cover_sleep_and_stress(catalog: Catalog) -> None:
    areas = {habit.area for habit in catalog.habits.values()}
    assert {"sleep", "stress"} <= areas


def test_program_states_trial_honestly_and_never_promises_cure(catalog: Catalog) -> None:
    text = " ".join(lesson.text.lower() for _, lesson in lessons(catalog))
    assert "66" in text or "two thirds" in text or "2 out of 3" in text
    assert re.search(r"one (trial|study)", text), "the 66% figure must be framed as one trial"
    for promise in ("will cure", "guaranteed", "cure your pain", "you have central sensitization"):
        assert promise not in text, promise


def test_program_safety_content_is_present(catalog: Catalog) -> None:
    text = " ".join(lesson.text.lower() for _, lesson in lessons(catalog))
    assert "saddle" in text
    assert "urine" in text
    assert "snor" in text
    assert "restless" in text
    assert "post-exertional" in text or "wiped out" in text


# --- Safety that does not miss -------------------------------------------------------------------------

# Words that name a red-flag sign. In modules/ a sign reaches the patient only through `[[red-flags]]` (the
# one list in course/safety/red_flags.py), or, in a check question about one sign, in that sign's exact words.
SIGN_WORDS = re.compile(
    r"saddle|bladder|bowel|urine|stool|incontinen|numbness|chills|fever|weight loss|cancer|steroid"
    r"|osteoporosis|thin bones|immune|inject|jaw pain|scalp|eyesight|chest pain|calf|swollen"
    r"|pain at night|night pain|emergency department|weakness in (?:one or both|your) legs?|leg weakness"
    r"|recent fall|big injury"
    r"|\b(?:after|over) (?:the age of )?50\b",
    re.IGNORECASE,
)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def html_text(html: str) -> str:
    return squash(unescape(re.sub(r"<[^>]+>", " ", html)))


def field_texts(field: Field) -> list[str]:
    texts = [field.label, field.help or "", field.min_label or "", field.max_label or ""]
    texts += [option.label for option in field.options]
    return texts + [text for item in field.item_fields for text in field_texts(item)]


# The kinds whose words step_texts and step_htmls read; test_step_texts_read_every_kind keeps it whole.
READ_KINDS = (Lesson, Exercise, Check, Practice, HabitStep, JournalStep)


def test_step_texts_read_every_kind() -> None:
    """A new kind of step (course.steps.registry) must have its words read by the checks below."""
    assert set(KINDS.values()) == set(READ_KINDS)


def step_texts(step: Step, *, wrong_options: bool = True) -> list[str]:
    """The words of a step a patient reads (lessons as Markdown, the rest as text)."""
    texts = [step.title, step.text if isinstance(step, Lesson) else html_text(step.body_html)]
    if isinstance(step, Exercise):
        texts += [text for field in step.fields for text in field_texts(field)]
    elif isinstance(step, Check):
        for question in step.questions:
            texts.append(question.prompt)
            # A wrong option is there to be rejected: "push through" offered as a trap teaches nothing.
            texts += [o.label for o in question.options if wrong_options or o.value == question.answer]
            texts.append(html_text(question.explanation_html))
    elif isinstance(step, Practice):
        texts.append(html_text(step.script_html))
    elif isinstance(step, HabitStep) and step.habit is not None:
        texts += [step.habit.name, step.habit.prompt]
    elif isinstance(step, JournalStep):
        texts.append(step.prompt)
    return texts


def step_htmls(step: Step) -> list[str]:
    htmls = [step.body_html]
    if isinstance(step, Check):
        htmls += [question.explanation_html for question in step.questions]
    if isinstance(step, Practice):
        htmls.append(step.script_html)
    return htmls


def module(catalog: Catalog, slug: str) -> Module:
    found = catalog.module(slug)
    assert found is not None, slug
    return found


def test_program_sign_words_catch_every_red_flag() -> None:
    # The scans below are only as good as these words: each sign on the list must contain one.
    missed = [flag.id for flag in RED_FLAGS if not SIGN_WORDS.search(flag.sign)]
    assert not missed, missed


def test_program_source_never_restates_a_red_flag_by_hand() -> None:
    signs = sorted({squash(flag.sign) for flag in RED_FLAGS}, key=len, reverse=True)
    by_hand = {}
    for path in sorted(PROGRAM.rglob("*")):
        if path.suffix not in {".md", ".yaml", ".yml"}:
            continue
        text = squash(path.read_text(encoding="utf-8"))
        text = re.sub(r"\b(?:id|value|answer): *[\w-]+", " ", text)  # ids, not words a patient reads
        for sign in signs:  # a check option may quote one sign, word for word
            text = text.replace(sign, " ")
        hits = sorted({match.group(0).lower() for match in SIGN_WORDS.finditer(text)})
        if hits:
            by_hand[str(path.relative_to(PROGRAM))] = hits
    assert not by_hand, f"write [[red-flags]] instead of naming the signs: {by_hand}"


def test_program_lessons_that_name_red_flags_show_the_whole_list(catalog: Catalog) -> None:
    whole = red_flags_markdown()
    naming = set()
    for name, lesson in lessons(catalog):
        if SIGN_WORDS.search(lesson.text):
            naming.add(name)
            assert whole in lesson.text, f"{name} names red flags but not the whole list: use [[red-flags]]"
    assert {"alarm-system/safety-first", "volume-down/flare-plan-lesson", "movement/small-steps"} <= naming


def test_program_red_flag_tiers_are_shown_whole_wherever_they_appear(catalog: Catalog) -> None:
    for mod in catalog.modules:
        for step in mod.steps:
            for html in step_htmls(step):
                text = html_text(html)
                for tier in TIERS:
                    signs = [squash(flag.sign) for flag in flags_in(tier.urgency)]
                    shown = [sign for sign in signs if sign in text]
                    if shown:
                        where = (mod.slug, step.id, tier.urgency)
                        assert shown == signs, where
                        assert squash(tier.heading) in text, where
                        assert squash(tier.advice) in text, where


def test_program_week_one_says_who_the_program_is_for(catalog: Catalog) -> None:
    week_one = catalog.modules[0]
    first = week_one.steps[0]
    assert isinstance(first, Lesson), "week 1 opens with a lesson"
    assert first.path is None, "the first lesson of week 1 is for everyone"
    text = squash(first.text)
    assert re.search(r"clinician has (?:already )?assessed", text), text[:300]
    assert re.search(r"without a cause that needs a different treatment", text)
    assert re.search(r"therapist records that (?:check|assessment) before week 1", text)


# Post-exertional malaise (NICE NG206): what the pacing path must never teach. Exposure and deconditioning
# words are never on it. "Hurt does not equal harm" may be taught for pain in general (week 1 is for
# everyone), but never for activity: a step that states it may not talk about activity, except where a
# sentence says not to use the idea for effort or speaks to post-exertional malaise itself. Red-flag signs
# do not count.
EXPOSURE = re.compile(
    r"fear[- ]ladder|fear-avoidance|feared movement|graded (?:exposure|activity)|face (?:a|the|your) fears?"
    r"|scary but doable|\bstiffer\b|\bweaker\b|decondition|out of shape|felt easy for a while|build slowly"
    r"|try the next one",
    re.IGNORECASE,
)
HURT_NOT_HARM = re.compile(
    r"hurt (?:does not|doesn't|is not|isn't) (?:always )?(?:equal |mean )?harm|hurt and harm"
    r"|(?:does not|doesn't) (?:have to |always )?mean (?:new )?(?:damage|harm)"
    r"|not (?:always )?a sign of (?:new )?(?:damage|harm)|some pain is okay",
    re.IGNORECASE,
)
SAYS_NOT_TO_USE_IT = re.compile(
    r"\b(?:do not|don't|never|should not|shouldn't) use\b|does not apply|\bnot for (?:effort|activity)\b",
    re.I,
)
ABOUT_PEM = re.compile(r"wiped out|post-exertional|\bPEM\b|\bpac(?:e|ing)\b", re.IGNORECASE)
ACTIVITY = re.compile(
    r"\b(?:walk\w*|move|moves|moving|movements?|activity|activities|active|effort|exercis\w*|bend\w*|lift\w*)\b",
    re.IGNORECASE,
)


def not_for_pacing(step: Step) -> list[str]:
    """What in a step is built on exposure, deconditioning or "hurt does not equal harm" for activity."""
    text = "\n".join(step_texts(step, wrong_options=False))
    found = sorted({match.group(0).lower() for match in EXPOSURE.finditer(squash(text))})
    # Sentences, and lines (a heading is one); a red-flag sign such as "new trouble walking" is not a lesson.
    sentences = [squash(s).strip() for s in re.split(r"(?<=[.!?:])\s+|\n+", text)]
    signs = {squash(flag.sign).strip() for flag in RED_FLAGS}
    sentences = [
        s for s in sentences if s and not SAYS_NOT_TO_USE_IT.search(s) and s.lstrip("- ") not in signs
    ]
    claims = [s for s in sentences if HURT_NOT_HARM.search(s)]
    active = [
        s for s in sentences if ACTIVITY.search(s) and (HURT_NOT_HARM.search(s) or not ABOUT_PEM.search(s))
    ]
    if claims and active:
        found.append(f"hurt/harm {claims[0]!r} with activity {active[0]!r}")
    return found


def lesson(text: str) -> Lesson:
    return Lesson(id="x", title="x", body_html="", source="x:1", text=text)


def test_program_pacing_markers_find_what_they_look_for() -> None:
    assert not_for_pacing(lesson("When you walk and it hurts, remember that hurt does not equal harm."))
    assert not_for_pacing(lesson("## Hurt does not always mean harm\n\nPain rises on a walk. That is okay."))
    assert not_for_pacing(lesson("- Some pain is okay.\n- Keep moving."))
    assert not_for_pacing(lesson("Build a fear ladder. Start with a step that feels scary but doable."))
    assert not not_for_pacing(
        lesson('With PEM, do not use "hurt does not equal harm" for effort. Pace instead.')
    )
    assert not not_for_pacing(
        lesson("Hurt and harm differ.\n\nIf effort leaves you wiped out, rest and pace.")
    )


def test_program_pacing_path_leaves_out_exposure_and_hurt_not_harm_for_activity(catalog: Catalog) -> None:
    on_pacing = {
        f"{mod.slug}/{step.id}": found
        for mod in catalog.modules
        for step in mod.steps_for("pacing")
        if (found := not_for_pacing(step))
    }
    assert not on_pacing, on_pacing
    # The markers are live: they find what only the standard path teaches.
    standard = {
        f"{mod.slug}/{step.id}" for mod in catalog.modules for step in mod.steps if not_for_pacing(step)
    }
    expected = {
        "movement/why-we-stop-moving",
        "movement/small-steps",
        "movement/fear-ladder",
        "movement/boom-and-bust",
        "movement/easy-walk",
        "movement/movement-check",
    }
    assert expected <= standard, expected - standard


NOT_A_TREATMENT = (
    re.compile(r"not a treatment for ME/CFS"),
    re.compile(
        r"(?:offers no|does not offer any) activity or exercise plan as a treatment or cure for ME/CFS"
    ),
    re.compile(r"Pacing within your energy, and care from your own clinician, come first"),
)


def says_not_a_treatment(step: Step) -> bool:
    text = squash(" ".join(step_texts(step)))
    return all(pattern.search(text) for pattern in NOT_A_TREATMENT)


def test_program_pacing_path_says_it_is_not_a_treatment_for_me_cfs(catalog: Catalog) -> None:
    movement = next(mod for mod in catalog.modules if "movement" in mod.covers)
    pacing = movement.steps_for("pacing")
    assert pacing[0].id == "effort-and-pem", pacing[0].id
    assert says_not_a_treatment(pacing[0])
    plan = movement.step("pacing-plan")
    assert plan is not None
    assert plan.path == "pacing"
    assert says_not_a_treatment(plan)
    # Where the pacing path first differs from the standard one, it says so too.
    first_own = next(step for mod in catalog.modules for step in mod.steps if step.path == "pacing")
    assert says_not_a_treatment(first_own), first_own.id


def test_program_pem_questions_say_what_an_answer_does(catalog: Catalog) -> None:
    asked = []
    for mod in catalog.modules:
        for step in mod.steps:
            if isinstance(step, Exercise) and any(f.pem_question for f in step.fields):
                asked.append(step.id)
                body = html_text(step.body_html)
                assert "pacing plan" in body, (mod.slug, step.id)
                assert "therapist" in body, (mod.slug, step.id)
    assert asked, "the fear ladder asks about post-exertional malaise"


def test_program_medicines_lesson_sends_every_change_to_the_prescriber(catalog: Catalog) -> None:
    found = [(mod, step) for mod in catalog.modules for step in mod.steps if step.id == "your-medicines"]
    assert len(found) == 1
    mod, lesson = found[0]
    assert isinstance(lesson, Lesson)
    assert lesson.path is None, "for every patient"
    text = squash(lesson.text)
    assert re.search(r"Do not stop it on your own", text)
    assert re.search(r"Do not cut down the amount on your own", text)
    assert re.search(r"even when you feel better", text)
    assert re.search(r"prove", text)
    assert re.search(r"prescrib", text)
    assert re.search(r"withdrawal", text)
    assert re.search(r"pain worse", text)
    assert re.search(r"mood worse", text)
    assert not re.search(r"\d+\s?(?:mg|mcg|microgram|milligram)", text, re.I), "no doses"
    references = " ".join(mod.references)
    assert "Food and Drug Administration" in references
    assert "2019" in references
    assert "sudden discontinuation of opioid pain medicines" in references
    assert "Dowell D" in references
    assert "MMWR Recomm Rep. 2022;71(3):1-95" in references
    # Early, before most patients would think of testing their alarm on their medicines.
    assert mod.week <= 2


def test_program_flare_plan_keeps_medicines_with_the_prescriber(catalog: Catalog) -> None:
    volume = module(catalog, "volume-down")
    lesson = volume.step("flare-plan-lesson")
    exercise = volume.step("flare-plan")
    assert isinstance(lesson, Lesson)
    assert isinstance(exercise, Exercise)
    for step in (lesson, exercise):
        text = squash(" ".join(step_texts(step))).lower()
        assert "medicine" in text, step.id
        assert "prescriber" in text, step.id
        assert "on your own" in text, step.id
