"""Steps added to a week patients have used (`added:`): the policy waives them for a patient who had finished
the rest of the week before the date, so a grown week never reopens a finished one; everyone else does them
as usual. Concrete cases, then properties over any history (hypothesis), the remembered answer among them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from course.pacing import OverrideEvent, _decide, local_midnight_after, program_state, waived_steps
from tests.pacing.test_pacing import DENVER, OUTLINE, START, ZONES, finish_one, histories

# Week one grew a step "new" between its two steps, on 20 March 2026.
GROWN = (("one", ("a", "new", "b")), ("two", ("c",)), ("three", ("d", "e")))
ADDED = {("one", "new"): date(2026, 3, 20)}
ADDED_AT = datetime(2026, 3, 20, 0, 0, tzinfo=DENVER)


def test_a_week_finished_before_the_date_stays_finished_and_offers_the_new_step() -> None:
    done = {**finish_one(START + timedelta(days=1)), ("two", "c"): START + timedelta(days=8)}
    now = START + timedelta(days=30)
    before = _decide(OUTLINE, START, DENVER, 7, done, [], now).state
    after = program_state(GROWN, START, DENVER, 7, done, [], now, added=ADDED)
    assert [(m.opened_at, m.completed_at) for m in after.modules] == [
        (m.opened_at, m.completed_at) for m in before.modules
    ]
    one = after.module("one")
    assert one is not None
    assert one.new_steps == ("new",)
    assert (one.steps_done, one.steps_total, one.next_step) == (2, 2, None)
    assert after.step_is_open("one", "new")
    assert after.current == ("three", "d")  # today's work, not the offered step
    assert after.step_is_open("one", "b")  # done, after the offered step: still open to read again


def test_doing_the_offered_step_later_does_not_move_the_weeks() -> None:
    done = {**finish_one(START + timedelta(days=1)), ("two", "c"): START + timedelta(days=8)}
    now = START + timedelta(days=30)
    offered = program_state(GROWN, START, DENVER, 7, done, [], now, added=ADDED)
    did_it = {**done, ("one", "new"): now - timedelta(hours=1)}
    after = program_state(GROWN, START, DENVER, 7, did_it, [], now, added=ADDED)
    assert [(m.opened_at, m.completed_at) for m in after.modules] == [
        (m.opened_at, m.completed_at) for m in offered.modules
    ]
    one = after.module("one")
    assert one is not None
    assert (one.new_steps, one.steps_done, one.steps_total) == ((), 3, 3)


def test_a_patient_who_had_not_finished_the_week_by_the_date_does_the_step() -> None:
    late = ADDED_AT + timedelta(minutes=1)
    done = {("one", "a"): START + timedelta(days=1), ("one", "b"): late}
    s = program_state(GROWN, START, DENVER, 7, done, [], late + timedelta(days=20), added=ADDED)
    one, two = s.module("one"), s.module("two")
    assert one is not None
    assert two is not None
    assert (one.next_step, one.new_steps, one.is_done) == ("new", (), False)
    assert not two.is_open
    assert two.waiting_for == "one"


def test_the_date_begins_at_midnight_in_the_patients_zone() -> None:
    auckland = ZoneInfo("Pacific/Auckland")
    steps = ("a", "new", "b")
    # 19 March 23:30 in Denver is already 20 March in Auckland.
    at = datetime(2026, 3, 19, 23, 30, tzinfo=DENVER)
    done = {("one", "a"): at, ("one", "b"): at}
    assert waived_steps("one", steps, ADDED, done, DENVER) == {"new"}
    assert waived_steps("one", steps, ADDED, done, auckland) == frozenset()


def test_a_step_added_later_counts_one_waived_earlier_as_done() -> None:
    steps = ("a", "first-new", "second-new")
    added = {("one", "first-new"): date(2026, 3, 20), ("one", "second-new"): date(2026, 4, 20)}
    done = {("one", "a"): START + timedelta(days=1)}
    assert waived_steps("one", steps, added, done, DENVER) == {"first-new", "second-new"}
    # Steps added on the same day do not wait for each other.
    same_day = dict.fromkeys(added, date(2026, 3, 20))
    assert waived_steps("one", steps, same_day, done, DENVER) == {"first-new", "second-new"}
    # A patient who finished before the second date but after the first does the first, then is offered
    # the second once the first is done before its date.
    later = {("one", "a"): datetime(2026, 3, 25, tzinfo=DENVER)}
    assert waived_steps("one", steps, added, later, DENVER) == frozenset()
    did_first = {**later, ("one", "first-new"): datetime(2026, 3, 26, tzinfo=DENVER)}
    assert waived_steps("one", steps, added, did_first, DENVER) == {"second-new"}


# ---- properties -------------------------------------------------------------------------------------------


@st.composite
def grown_histories(draw: st.DrawFn) -> tuple:
    """A history on an outline, then the same outline with one step added to one module on some date."""
    outline, tz, pace, completions, overrides, end = draw(histories())
    k = draw(st.integers(0, len(outline) - 1))
    slug, steps = outline[k]
    position = draw(st.integers(0, len(steps)))
    new = f"{slug}new"
    grown = (*outline[:k], (slug, (*steps[:position], new, *steps[position:])), *outline[k + 1 :])
    day = (START + timedelta(minutes=draw(st.integers(0, 60 * 24 * 60)))).astimezone(tz).date()
    return outline, grown, slug, new, day, tz, pace, completions, overrides, end


def _times(state: object) -> list[tuple[object, object]]:
    return [(m.opened_at, m.completed_at) for m in state.modules]  # type: ignore[attr-defined]


@settings(max_examples=150, deadline=None)
@given(grown_histories(), st.integers(0, 60 * 24 * 200), st.integers(0, 60 * 24 * 60))
def test_growing_a_week_never_reopens_it_for_a_patient_who_had_finished_it(
    history: tuple, minutes: int, did_new_after: int
) -> None:
    outline, grown, slug, new, day, tz, pace, completions, overrides, _end = history
    now = START + timedelta(minutes=minutes)
    added = {(slug, new): day}
    began = datetime.combine(day, time(0), tzinfo=tz)
    old = _decide(outline, START, tz, pace, completions, overrides, now).state
    state = _decide(grown, START, tz, pace, completions, overrides, now, added=added).state
    counted = {key: at for key, at in completions.items() if at <= now}
    finished_before = all(
        (slug, step) in counted and counted[(slug, step)] < began for step in dict(outline)[slug]
    )
    if not finished_before:
        # Not finished by the date (at `now`): the new step is a step like any other.
        assert state == _decide(grown, START, tz, pace, completions, overrides, now).state
        return
    assert _times(state) == _times(old)
    assert state.current == old.current
    module = state.module(slug)
    assert module is not None
    if module.is_open:
        assert module.new_steps == (new,)
        assert module.steps_total == len(dict(outline)[slug])
    # Doing the offered step at any later moment moves nothing either.
    did_it = {**completions, (slug, new): max(counted.values()) + timedelta(minutes=did_new_after + 1)}
    later = max(now, did_it[(slug, new)])
    assert _times(_decide(grown, START, tz, pace, did_it, overrides, later, added=added).state) == _times(
        _decide(outline, START, tz, pace, completions, overrides, later).state
    )


@st.composite
def histories_with_added(draw: st.DrawFn) -> tuple:
    """A patient's history on a program whose steps may carry `added` dates, the patient sometimes doing an
    offered step."""
    n_modules = draw(st.integers(1, 4))
    outline = tuple(
        (f"m{i}", tuple(f"m{i}s{j}" for j in range(draw(st.integers(1, 3))))) for i in range(n_modules)
    )
    added: dict[tuple[str, str], date] = {}
    for slug, steps in outline:
        for step in steps[1:]:
            if draw(st.booleans()):
                added[(slug, step)] = (START + timedelta(days=draw(st.integers(0, 60)))).date()
    tz = draw(st.sampled_from(ZONES))
    pace = draw(st.integers(1, 10))
    actions = draw(
        st.lists(
            st.tuples(
                st.integers(1, 60 * 24 * 6),
                st.sampled_from(["step", "step", "step", "new", "unlock_next", "pause", "resume"]),
            ),
            max_size=40,
        )
    )
    completions: dict[tuple[str, str], datetime] = {}
    overrides: list[OverrideEvent] = []
    moment = START
    for minutes, action in actions:
        moment += timedelta(minutes=minutes)
        s = program_state(outline, START, tz, pace, completions, overrides, moment, added=added)
        if action == "step":
            if s.current is not None:
                completions[s.current] = moment
        elif action == "new":
            offered = [(m.slug, step) for m in s.modules for step in m.new_steps]
            if offered:
                completions[offered[0]] = moment
        else:
            overrides.append(OverrideEvent(action, moment))
    return outline, added, tz, pace, completions, overrides


@settings(max_examples=150, deadline=None)
@given(histories_with_added(), st.integers(0, 60 * 24 * 200))
def test_with_added_steps_order_and_pace_still_hold(history: tuple, minutes: int) -> None:
    outline, added, tz, pace, completions, overrides = history
    now = START + timedelta(minutes=minutes)
    s = program_state(outline, START, tz, pace, completions, overrides, now, added=added)
    opened = [m.is_open for m in s.modules]
    assert opened == sorted(opened, reverse=True)
    for k in range(1, len(s.modules)):
        module, previous = s.modules[k], s.modules[k - 1]
        if not module.is_open or module.opened_early:
            continue
        assert previous.completed_at is not None
        assert previous.opened_at is not None
        assert module.opened_at is not None
        assert previous.completed_at <= module.opened_at
        assert module.opened_at >= local_midnight_after(previous.opened_at, pace, tz)
    for module in s.modules:
        steps = dict(outline)[module.slug]
        # An offered step is an added one, never required: the week may be done without it.
        assert all((module.slug, step) in added for step in module.new_steps)
        assert module.steps_total == len(steps) - len(module.new_steps)
        if module.is_done:
            assert all(s.step_is_complete(module.slug, step) or step in module.new_steps for step in steps)
        for i, step in enumerate(steps):
            if s.step_is_open(module.slug, step):
                assert all(
                    s.step_is_complete(module.slug, earlier) or earlier in module.new_steps
                    for earlier in steps[:i]
                )
            elif module.is_open and all(s.step_is_complete(module.slug, e) for e in steps[:i]):
                raise AssertionError(f"{module.slug}/{step} is closed after every earlier step was done")
        # What the patient did stays open to them, an offered step before it or not.
        if module.is_done:
            assert all(s.step_is_open(module.slug, step) for step in steps)


@settings(max_examples=150, deadline=None)
@given(histories_with_added(), st.integers(0, 60 * 24 * 120), st.floats(0, 1, exclude_max=True))
def test_with_added_steps_the_state_holds_until_the_moment_it_names(
    history: tuple, minutes: int, fraction: float
) -> None:
    outline, added, tz, pace, completions, overrides = history
    now = START + timedelta(minutes=minutes)
    s, until = _decide(outline, START, tz, pace, completions, overrides, now, added=added)
    end = until if until is not None else now + timedelta(days=400)
    assert end > now
    just_before = end - timedelta(microseconds=1)
    for moment in (min(now + (end - now) * fraction, just_before), just_before):
        assert _decide(outline, START, tz, pace, completions, overrides, moment, added=added).state == s


@settings(max_examples=150, deadline=None)
@given(histories_with_added(), st.lists(st.integers(0, 60 * 24 * 120), min_size=1, max_size=8))
def test_with_added_steps_the_remembered_answer_is_the_policys(history: tuple, minutes: list[int]) -> None:
    outline, added, tz, pace, completions, overrides = history
    for minute in minutes:
        now = START + timedelta(minutes=minute)
        expected = _decide(outline, START, tz, pace, completions, overrides, now, added=added).state
        remembered = program_state(
            outline, START, tz, pace, dict(completions), list(overrides), now, added=dict(added)
        )
        assert remembered == expected
        # The dates are part of what the answer is remembered for.
        assert program_state(outline, START, tz, pace, completions, overrides, now) == (
            _decide(outline, START, tz, pace, completions, overrides, now).state
        )
