"""Feedback moments in the unlock policy: a finished feedback step holds what comes after it until the
therapist's reply or the clinic's number of days, whichever comes first; a therapist's early opening is never
held; the remembered answer is the policy's. Concrete cases, then properties over times and time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course.pacing import (
    FEEDBACK_DAYS,
    HoldKind,
    Holds,
    OverrideEvent,
    ProgramState,
    _decide,
    program_state,
)

DENVER = ZoneInfo("America/Denver")
OUTLINE = (("one", ("a", "b", "c")), ("two", ("d", "e")), ("three", ("f",)))
START = datetime(2026, 3, 2, 15, 0, tzinfo=DENVER).astimezone(UTC)
ZONES = [ZoneInfo(z) for z in ("UTC", "America/Denver", "Europe/London", "Asia/Kolkata", "Pacific/Auckland")]


def decide(
    now: datetime,
    completions: dict[tuple[str, str], datetime],
    holds: Holds,
    replies: dict[tuple[str, str], datetime] | None = None,
    overrides: list[OverrideEvent] | None = None,
    tz: ZoneInfo = DENVER,
    days: int = FEEDBACK_DAYS,
) -> ProgramState:
    return _decide(OUTLINE, START, tz, 7, completions, overrides or [], now, holds, replies or {}, days).state


# ---- cases ------------------------------------------------------------------------------------------------


def test_a_step_hold_keeps_the_next_step_closed_until_the_reply() -> None:
    asked = START + timedelta(hours=2)
    done = {("one", "a"): asked}
    holds: Holds = (("one", "a", "step"),)
    waiting = decide(asked + timedelta(hours=1), done, holds)
    assert not waiting.step_is_open("one", "b")
    assert waiting.held_by("one", "b") == ("a", waiting.waiting[("one", "a")])
    assert waiting.waiting[("one", "a")].until == asked + timedelta(days=FEEDBACK_DAYS)
    assert waiting.current == ("one", "b")  # still what to do next: the page says it waits
    reply = asked + timedelta(hours=5)
    assert not decide(reply - timedelta(microseconds=1), done, holds, {("one", "a"): reply}).step_is_open(
        "one", "b"
    )
    replied = decide(reply, done, holds, {("one", "a"): reply})
    assert replied.step_is_open("one", "b")
    assert not replied.waiting


def test_without_a_reply_the_hold_lets_go_after_the_clinics_days() -> None:
    asked = START + timedelta(hours=2)
    done = {("one", "a"): asked}
    holds: Holds = (("one", "a", "step"),)
    timeout = asked + timedelta(days=5)
    assert not decide(timeout - timedelta(seconds=1), done, holds, days=5).step_is_open("one", "b")
    assert decide(timeout, done, holds, days=5).step_is_open("one", "b")


def test_a_module_hold_keeps_the_rest_of_the_module_open_and_the_next_module_closed() -> None:
    done = {("one", "a"): START + timedelta(hours=1), ("one", "b"): START + timedelta(hours=2)}
    done[("one", "c")] = START + timedelta(hours=3)
    holds: Holds = (("one", "a", "module"),)
    # A week on, the pace allows week two; the reply has not come and the days have not run out (10 days).
    monday = datetime(2026, 3, 9, 0, 0, tzinfo=DENVER)
    s = decide(monday, done, holds, days=10)
    assert s.step_is_open("one", "b")
    assert not s.module("two").is_open  # type: ignore[union-attr]
    assert s.module_held_by("two") == ("one", "a", s.waiting[("one", "a")])
    reply = monday + timedelta(hours=9)
    opened = decide(reply, done, holds, {("one", "a"): reply}, days=10)
    assert opened.module("two").opened_at == reply  # type: ignore[union-attr]


def test_a_hold_on_a_modules_last_step_holds_the_next_module() -> None:
    completions = {("one", s): START + timedelta(hours=1) for s in ("a", "b", "c")}
    completions[("two", "d")] = completions[("two", "e")] = START + timedelta(days=8)
    holds: Holds = (("two", "e", "step"),)
    at = datetime(2026, 3, 16, 0, 0, tzinfo=DENVER)  # week three's day by the pace
    s = decide(at, completions, holds, days=10)
    assert s.module("two").is_open  # type: ignore[union-attr]
    assert s.waiting[("two", "e")].holds == "module"
    assert not s.module("three").is_open  # type: ignore[union-attr]
    later = completions[("two", "e")] + timedelta(days=10)
    assert decide(later, completions, holds, days=10).module("three").opened_at == later  # type: ignore[union-attr]


def test_a_therapists_early_opening_is_never_held() -> None:
    done = {("one", s): START + timedelta(hours=1) for s in ("a", "b", "c")}
    holds: Holds = (("one", "c", "module"),)
    unlock = OverrideEvent("unlock_next", START + timedelta(hours=2))
    s = decide(START + timedelta(hours=3), done, holds, overrides=[unlock])
    two = s.module("two")
    assert two is not None
    assert two.is_open
    assert two.opened_early
    assert ("one", "c") in s.waiting  # the reply is still owed


def test_the_state_names_the_moment_a_hold_lets_go() -> None:
    asked = START + timedelta(hours=2)
    done = {("one", "a"): asked}
    holds: Holds = (("one", "a", "step"),)
    _state, until = _decide(OUTLINE, START, DENVER, 7, done, [], asked, holds, {}, 3)
    assert until == asked + timedelta(days=3)
    reply = asked + timedelta(hours=4)
    _state, until = _decide(OUTLINE, START, DENVER, 7, done, [], asked, holds, {("one", "a"): reply}, 3)
    assert until == reply


def test_feedback_days_must_be_positive() -> None:
    with pytest.raises(ValueError, match="feedback_days"):
        decide(START, {}, (), days=0)


# ---- properties -------------------------------------------------------------------------------------------


@st.composite
def feedback_histories(draw: st.DrawFn) -> tuple:
    """An outline with feedback moments, a zone, a pace and the clinic's days, and a simulated history of a
    patient who takes only open steps, a therapist who may reply, unlock, pause and resume."""
    n_modules = draw(st.integers(1, 4))
    outline = tuple(
        (f"m{i}", tuple(f"m{i}s{j}" for j in range(draw(st.integers(1, 3))))) for i in range(n_modules)
    )
    keys = [(slug, step) for slug, steps in outline for step in steps]
    chosen = draw(st.lists(st.sampled_from(keys), unique=True, max_size=3))
    kinds: list[HoldKind] = ["step", "module"]
    holds: Holds = tuple((slug, step, draw(st.sampled_from(kinds))) for slug, step in chosen)
    tz = draw(st.sampled_from(ZONES))
    pace = draw(st.integers(1, 8))
    days = draw(st.integers(1, 6))
    actions = st.sampled_from(["step", "step", "step", "reply", "unlock_next", "pause", "resume"])
    gaps = draw(st.lists(st.tuples(st.integers(1, 60 * 24 * 4), actions), max_size=30))
    completions: dict[tuple[str, str], datetime] = {}
    replies: dict[tuple[str, str], datetime] = {}
    overrides: list[OverrideEvent] = []
    moment = START
    for minutes, action in gaps:
        moment += timedelta(minutes=minutes)
        state = program_state(outline, START, tz, pace, completions, overrides, moment, holds, replies, days)
        if action == "step":
            current = state.current
            if current is not None and state.step_is_open(*current):
                completions[current] = moment
        elif action == "reply":
            if state.waiting:
                replies[sorted(state.waiting)[0]] = moment
        else:
            overrides.append(OverrideEvent(action, moment))
    return outline, tz, pace, days, holds, completions, replies, overrides


def _lets_go(
    key: tuple[str, str], completions: dict[tuple[str, str], datetime], replies: dict, days: int
) -> datetime:
    asked = completions[key]
    timeout = asked + timedelta(days=days)
    reply = replies.get(key)
    return timeout if reply is None else max(min(reply, timeout), asked)


def _held_next(outline: tuple, slug: str, step: str, kind: str) -> tuple[str, str | None]:
    """What a feedback moment holds: ("step", next step id) or ("module", next module slug or None)."""
    steps = dict(outline)[slug]
    if kind == "step" and steps[-1] != step:
        return "step", steps[steps.index(step) + 1]
    slugs = [s for s, _ in outline]
    index = slugs.index(slug)
    return "module", slugs[index + 1] if index + 1 < len(slugs) else None


@settings(max_examples=200, deadline=None)
@given(feedback_histories(), st.integers(0, 60 * 24 * 90))
def test_a_feedback_moment_holds_until_the_reply_or_the_days_whichever_first(
    history: tuple, minutes: int
) -> None:
    outline, tz, pace, days, holds, completions, replies, overrides = history
    now = START + timedelta(minutes=minutes)
    s = _decide(outline, START, tz, pace, completions, overrides, now, holds, replies, days).state
    for slug, step, kind in holds:
        if completions.get((slug, step), now + timedelta(days=1)) > now:
            continue  # not finished yet at `now`: it holds nothing
        lets_go = _lets_go((slug, step), completions, replies, days)
        what, target = _held_next(outline, slug, step, kind)
        if what == "step" and target is not None:
            if now < lets_go:
                assert not s.step_is_open(slug, target)
                assert s.waiting[(slug, step)].until == completions[(slug, step)] + timedelta(days=days)
            else:
                assert (slug, step) not in s.waiting
        elif what == "module" and target is not None:
            module = s.module(target)
            assert module is not None
            if module.is_open and not module.opened_early:
                # Opened by itself: never before the hold let go.
                assert module.opened_at is not None
                assert module.opened_at >= lets_go
            if now < lets_go and module.is_open:
                assert module.opened_early  # only a therapist's early opening gets past a waiting hold


@settings(max_examples=200, deadline=None)
@given(feedback_histories(), st.integers(0, 60 * 24 * 90))
def test_a_step_hold_opens_at_the_moment_it_lets_go(history: tuple, minutes: int) -> None:
    outline, tz, pace, days, holds, completions, replies, overrides = history
    now = START + timedelta(minutes=minutes)
    for slug, step, kind in holds:
        what, target = _held_next(outline, slug, step, kind)
        if what != "step" or target is None or (slug, step) not in completions:
            continue
        lets_go = _lets_go((slug, step), completions, replies, days)
        moment = max(now, lets_go)
        with_hold = _decide(outline, START, tz, pace, completions, overrides, moment, holds, replies, days)
        without = _decide(outline, START, tz, pace, completions, overrides, moment)
        # Once it lets go, a step hold changes nothing in its open module: the next step is as open as with
        # no hold at all (a module hold elsewhere may still keep the whole module closed).
        if with_hold.state.module(slug).is_open:  # type: ignore[union-attr]
            assert with_hold.state.step_is_open(slug, target) == without.state.step_is_open(slug, target)


@settings(max_examples=200, deadline=None)
@given(feedback_histories(), st.integers(0, 60 * 24 * 90))
def test_holds_only_ever_open_fewer_modules(history: tuple, minutes: int) -> None:
    outline, tz, pace, days, holds, completions, replies, overrides = history
    now = START + timedelta(minutes=minutes)
    held = _decide(outline, START, tz, pace, completions, overrides, now, holds, replies, days).state
    free = _decide(outline, START, tz, pace, completions, overrides, now).state
    assert sum(m.is_open for m in held.modules) <= sum(m.is_open for m in free.modules)
    opened = [m.is_open for m in held.modules]
    assert opened == sorted(opened, reverse=True)  # order is never skipped


@settings(max_examples=200, deadline=None)
@given(feedback_histories(), st.integers(0, 60 * 24 * 90), st.floats(0, 1, exclude_max=True))
def test_the_state_holds_until_the_moment_it_names(history: tuple, minutes: int, fraction: float) -> None:
    outline, tz, pace, days, holds, completions, replies, overrides = history
    now = START + timedelta(minutes=minutes)
    s, until = _decide(outline, START, tz, pace, completions, overrides, now, holds, replies, days)
    end = until if until is not None else now + timedelta(days=400)
    assert end > now
    just_before = end - timedelta(microseconds=1)
    for moment in (min(now + (end - now) * fraction, just_before), just_before):
        later = _decide(outline, START, tz, pace, completions, overrides, moment, holds, replies, days)
        assert later.state == s


@settings(max_examples=200, deadline=None)
@given(feedback_histories(), st.lists(st.integers(0, 60 * 24 * 90), min_size=1, max_size=8))
def test_the_remembered_answer_is_the_policys_at_every_moment(history: tuple, minutes: list[int]) -> None:
    outline, tz, pace, days, holds, completions, replies, overrides = history
    for minute in minutes:
        now = START + timedelta(minutes=minute)
        expected = _decide(outline, START, tz, pace, completions, overrides, now, holds, replies, days).state
        remembered = program_state(
            outline, START, tz, pace, dict(completions), list(overrides), now, holds, dict(replies), days
        )
        assert remembered == expected


def test_replies_and_days_tell_remembered_answers_apart() -> None:
    asked = START + timedelta(hours=2)
    done = {("one", "a"): asked}
    holds: Holds = (("one", "a", "step"),)
    now = asked + timedelta(days=1)
    args = (OUTLINE, START, DENVER, 7, done, [], now)
    assert not program_state(*args, holds, {}, 3).step_is_open("one", "b")
    assert program_state(*args, holds, {("one", "a"): asked + timedelta(hours=1)}, 3).step_is_open("one", "b")
    assert program_state(*args, holds, {}, 1).step_is_open("one", "b")
    assert program_state(*args, (), {}, 3).step_is_open("one", "b")
