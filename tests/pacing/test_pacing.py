"""The unlock policy: concrete cases, then properties over any history of completions, pauses and unlocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course.pacing import (
    Decision,
    OverrideEvent,
    ProgramState,
    _decide,
    local_midnight_after,
    program_state,
    remembered_between,
)

DENVER = ZoneInfo("America/Denver")
OUTLINE = (("one", ("a", "b")), ("two", ("c",)), ("three", ("d", "e")))
# Monday 2 March 2026, 15:00 in Denver.
START = datetime(2026, 3, 2, 15, 0, tzinfo=DENVER).astimezone(UTC)


def state(
    now: datetime,
    completions: dict[tuple[str, str], datetime] | None = None,
    overrides: list[OverrideEvent] | None = None,
    pace: int = 7,
    tz: ZoneInfo = DENVER,
) -> ProgramState:
    return program_state(OUTLINE, START, tz, pace, completions or {}, overrides or [], now)


def finish_one(at: datetime) -> dict[tuple[str, str], datetime]:
    return {("one", "a"): at - timedelta(minutes=5), ("one", "b"): at}


def test_pacing_enrollment_opens_only_module_one() -> None:
    s = state(START)
    assert [m.status for m in s.modules] == ["open", "locked", "locked"]
    assert s.current == ("one", "a")
    assert s.step_is_open("one", "a")
    assert not s.step_is_open("one", "b")


def test_pacing_completion_early_waits_for_local_midnight_a_week_later() -> None:
    done = finish_one(START + timedelta(days=1))
    sunday_night = datetime(2026, 3, 8, 23, 59, tzinfo=DENVER)
    monday_midnight = datetime(2026, 3, 9, 0, 0, tzinfo=DENVER)
    before = state(sunday_night, done)
    assert not before.module("two").is_open  # type: ignore[union-attr]
    assert before.module("two").opens_on == date(2026, 3, 9)  # type: ignore[union-attr]
    after = state(monday_midnight, done)
    assert after.module("two").opened_at == monday_midnight  # type: ignore[union-attr]


def test_pacing_late_completion_opens_next_at_completion() -> None:
    finished = START + timedelta(days=10)
    s = state(finished + timedelta(hours=1), finish_one(finished))
    assert s.module("two").opened_at == finished  # type: ignore[union-attr]
    assert s.module("one").status == "done"  # type: ignore[union-attr]


def test_pacing_incomplete_module_holds_next_however_long() -> None:
    s = state(START + timedelta(days=60), {("one", "a"): START + timedelta(days=1)})
    two = s.module("two")
    assert two is not None
    assert not two.is_open
    assert two.waiting_for == "one"
    assert two.opens_on is None


def test_pacing_pace_counts_local_days_across_dst_change() -> None:
    # 8 March 2026 is the US spring-forward; the week still ends at local midnight.
    done = finish_one(START + timedelta(hours=2))
    s = state(datetime(2026, 3, 9, 0, 0, tzinfo=DENVER), done)
    assert s.module("two").opened_at == datetime(2026, 3, 9, 0, 0, tzinfo=DENVER)  # type: ignore[union-attr]


def test_pacing_pause_holds_and_resume_opens() -> None:
    done = finish_one(START + timedelta(days=1))
    pause = OverrideEvent("pause", START + timedelta(days=3))
    resume = OverrideEvent("resume", START + timedelta(days=12))
    held = state(START + timedelta(days=11), done, [pause])
    assert held.paused
    assert not held.module("two").is_open
    resumed = state(START + timedelta(days=13), done, [pause, resume])
    assert not resumed.paused
    assert resumed.module("two").opened_at == resume.at  # type: ignore[union-attr]


def test_pacing_unlock_opens_next_module_now_and_only_it() -> None:
    unlock = OverrideEvent("unlock_next", START + timedelta(days=2))
    s = state(START + timedelta(days=2), {}, [unlock])
    assert [m.is_open for m in s.modules] == [True, True, False]
    assert s.module("two").opened_early  # type: ignore[union-attr]
    assert s.current == ("one", "a")  # earlier unfinished work still comes first


def test_pacing_future_events_do_not_count() -> None:
    unlock = OverrideEvent("unlock_next", START + timedelta(days=5))
    assert not state(START + timedelta(days=4), {}, [unlock]).module("two").is_open  # type: ignore[union-attr]


def test_pacing_everything_done_is_finished() -> None:
    done: dict[tuple[str, str], datetime] = {}
    overrides = [
        OverrideEvent("unlock_next", START + timedelta(hours=1)),
        OverrideEvent("unlock_next", START + timedelta(hours=2)),
    ]
    for i, (slug, steps) in enumerate(OUTLINE):
        for j, step in enumerate(steps):
            done[(slug, step)] = START + timedelta(hours=3 + i, minutes=j)
    s = state(START + timedelta(days=1), done, overrides)
    assert s.finished
    assert s.current is None


def test_pacing_rejects_zero_pace() -> None:
    with pytest.raises(ValueError, match="pace_days"):
        state(START, pace=0)


# ---- properties -------------------------------------------------------------------------------------------

ZONES = [ZoneInfo(z) for z in ("UTC", "America/Denver", "Europe/London", "Asia/Kolkata", "Pacific/Auckland")]


@st.composite
def histories(draw: st.DrawFn) -> tuple:
    """An outline, a zone, a pace, and a simulated history of a patient and their therapist."""
    n_modules = draw(st.integers(1, 5))
    outline = tuple(
        (f"m{i}", tuple(f"m{i}s{j}" for j in range(draw(st.integers(1, 3))))) for i in range(n_modules)
    )
    tz = draw(st.sampled_from(ZONES))
    pace = draw(st.integers(1, 10))
    gaps = draw(
        st.lists(
            st.tuples(
                st.integers(1, 60 * 24 * 6),
                st.sampled_from(["step", "step", "step", "unlock_next", "pause", "resume"]),
            ),
            max_size=40,
        )
    )
    completions: dict[tuple[str, str], datetime] = {}
    overrides: list[OverrideEvent] = []
    moment = START
    for minutes, action in gaps:
        moment += timedelta(minutes=minutes)
        if action == "step":
            current = program_state(outline, START, tz, pace, completions, overrides, moment).current
            if current is not None:
                completions[current] = moment
        else:
            overrides.append(OverrideEvent(action, moment))
    return outline, tz, pace, completions, overrides, moment


def _pauses(overrides: list[OverrideEvent], now: datetime) -> list[tuple[datetime, datetime | None]]:
    spans: list[tuple[datetime, datetime | None]] = []
    since = None
    for e in sorted(overrides, key=lambda e: e.at):
        if e.at > now:
            break
        if e.kind == "pause" and since is None:
            since = e.at
        elif e.kind == "resume" and since is not None:
            spans.append((since, e.at))
            since = None
    if since is not None:
        spans.append((since, None))
    return spans


@settings(max_examples=150, deadline=None)
@given(histories(), st.integers(0, 60 * 24 * 200))
def test_pacing_properties_hold_for_any_history(history: tuple, later_minutes: int) -> None:
    outline, tz, pace, completions, overrides, _end = history
    now = START + timedelta(minutes=later_minutes)
    s = program_state(outline, START, tz, pace, completions, overrides, now)
    opened = [m.is_open for m in s.modules]

    # Order is never skipped: the open modules are a prefix.
    assert opened == sorted(opened, reverse=True)
    assert s.modules[0].is_open

    unlock_times = {e.at for e in overrides if e.kind == "unlock_next"}
    for k in range(1, len(s.modules)):
        module, previous = s.modules[k], s.modules[k - 1]
        if not module.is_open:
            continue
        assert module.opened_at is not None
        assert previous.opened_at is not None
        assert module.opened_at <= now
        if module.opened_early:
            assert module.opened_at in unlock_times
            continue
        # Nothing opens before its time: previous complete, pace elapsed in local days, not in a pause.
        assert previous.completed_at is not None
        assert previous.completed_at <= module.opened_at
        assert module.opened_at >= local_midnight_after(previous.opened_at, pace, tz)
        for start, stop in _pauses(overrides, now):
            assert not (start <= module.opened_at and (stop is None or module.opened_at < stop))

    # Steps open in order.
    for slug, steps in outline:
        for i, step in enumerate(steps):
            if s.step_is_open(slug, step):
                assert all(s.step_is_complete(slug, earlier) for earlier in steps[:i])


@settings(max_examples=150, deadline=None)
@given(histories(), st.integers(0, 60 * 24 * 60), st.integers(0, 60 * 24 * 60))
def test_pacing_time_only_opens_more(history: tuple, a: int, b: int) -> None:
    outline, tz, pace, completions, overrides, _ = history
    first, second = sorted((START + timedelta(minutes=a), START + timedelta(minutes=b)))
    early = program_state(outline, START, tz, pace, completions, overrides, first)
    late = program_state(outline, START, tz, pace, completions, overrides, second)
    for x, y in zip(early.modules, late.modules, strict=True):
        if x.is_open:
            assert y.is_open
            assert y.opened_at == x.opened_at


@settings(max_examples=150, deadline=None)
@given(histories())
def test_pacing_pause_holds_until_resumed(history: tuple) -> None:
    outline, tz, pace, completions, overrides, end = history
    pause_at = end + timedelta(minutes=1)
    paused = [*overrides, OverrideEvent("pause", pause_at)]
    already_paused = program_state(outline, START, tz, pace, completions, overrides, end).paused
    far = pause_at + timedelta(days=365)
    s = program_state(outline, START, tz, pace, completions, paused, far)
    if not already_paused:
        assert s.paused
    for module in s.modules:
        if module.is_open and not module.opened_early:
            assert module.opened_at is not None
            assert module.opened_at <= pause_at


@settings(max_examples=150, deadline=None)
@given(histories())
def test_pacing_unlock_opens_exactly_one_module(history: tuple) -> None:
    outline, tz, pace, completions, overrides, end = history
    now = end + timedelta(minutes=1)
    before = program_state(outline, START, tz, pace, completions, overrides, now)
    after = program_state(
        outline, START, tz, pace, completions, [*overrides, OverrideEvent("unlock_next", now)], now
    )
    count_before = sum(m.is_open for m in before.modules)
    count_after = sum(m.is_open for m in after.modules)
    assert count_after == min(len(outline), count_before + 1)


def test_pacing_unlock_at_the_moment_a_module_opens_by_itself_opens_the_next() -> None:
    # Found by hypothesis: week 2 opens by itself at Monday midnight; an unlock at that same instant must open
    # week 3, not be spent on week 2.
    done = finish_one(START + timedelta(days=1))
    midnight = datetime(2026, 3, 9, 0, 0, tzinfo=DENVER)
    s = state(midnight, done, [OverrideEvent("unlock_next", midnight)])
    assert s.module("two").opened_early is False  # type: ignore[union-attr]
    assert s.module("three").opened_at == midnight  # type: ignore[union-attr]
    assert s.module("three").opened_early  # type: ignore[union-attr]


def test_pacing_names_when_time_next_changes_the_state() -> None:
    done = finish_one(START + timedelta(days=1))
    now = START + timedelta(days=2)
    s, until = _decide(OUTLINE, START, DENVER, 7, done, [], now)
    midnight = datetime(2026, 3, 9, 0, 0, tzinfo=DENVER)
    assert until == midnight  # week 2 opens then
    assert s == state(until - timedelta(microseconds=1), done)
    assert state(until, done).module("two").is_open  # type: ignore[union-attr]
    # Week 2's day has come but week 1 is not finished: only a new completion or override changes the state.
    assert _decide(OUTLINE, START, DENVER, 7, {}, [], midnight)[1] is None
    # Before that day, the locked week shows its day until the day comes.
    assert _decide(OUTLINE, START, DENVER, 7, {}, [], now)[1] == midnight
    # A completion or an override dated later counts from its moment.
    later = now + timedelta(hours=3)
    assert _decide(OUTLINE, START, DENVER, 7, {("one", "a"): later}, [], now)[1] == later
    paused = [OverrideEvent("pause", later)]
    assert _decide(OUTLINE, START, DENVER, 7, done, paused, now)[1] == later


@settings(max_examples=200, deadline=None)
@given(histories(), st.integers(0, 60 * 24 * 120), st.floats(0, 1, exclude_max=True))
def test_pacing_state_holds_until_the_moment_it_names(history: tuple, minutes: int, fraction: float) -> None:
    outline, tz, pace, completions, overrides, _end = history
    now = START + timedelta(minutes=minutes)
    s, until = _decide(outline, START, tz, pace, completions, overrides, now)
    end = until if until is not None else now + timedelta(days=400)
    assert end > now
    just_before = end - timedelta(microseconds=1)
    for moment in (min(now + (end - now) * fraction, just_before), just_before):
        assert _decide(outline, START, tz, pace, completions, overrides, moment).state == s


# `program_state` remembers `_decide`'s answers (`remembered_between`): whatever moments it is asked about, in
# whatever order (a clock set back included), it must say what the policy says at that moment.
@settings(max_examples=200, deadline=None)
@given(histories(), st.lists(st.integers(0, 60 * 24 * 120), min_size=1, max_size=8))
def test_the_remembered_answer_is_the_policys_at_every_moment(history: tuple, minutes: list[int]) -> None:
    outline, tz, pace, completions, overrides, _end = history
    for minute in minutes:
        now = START + timedelta(minutes=minute)
        expected = _decide(outline, START, tz, pace, completions, overrides, now).state
        assert program_state(outline, START, tz, pace, dict(completions), list(overrides), now) == expected


def test_an_answer_is_reused_only_between_the_moments_it_holds_for() -> None:
    asked: list[datetime] = []

    def counted(
        outline: tuple[tuple[str, tuple[str, ...]], ...],
        started_at: datetime,
        tz: ZoneInfo,
        pace_days: int,
        completions: dict[tuple[str, str], datetime],
        overrides: list[OverrideEvent],
        now: datetime,
    ) -> Decision:
        asked.append(now)
        return _decide(outline, started_at, tz, pace_days, completions, overrides, now)

    ask = remembered_between(counted)
    done = finish_one(START + timedelta(days=1))
    now = START + timedelta(days=2)
    first = ask(OUTLINE, START, DENVER, 7, done, [], now)
    opens = datetime(2026, 3, 9, 0, 0, tzinfo=DENVER)
    assert ask(OUTLINE, START, DENVER, 7, dict(done), [], opens - timedelta(microseconds=1)) is first
    assert asked == [now]
    assert ask(OUTLINE, START, DENVER, 7, done, [], opens).module("two").is_open  # type: ignore[union-attr]
    assert asked == [now, opens]
    back = now - timedelta(hours=1)  # the clock set back: worked out again
    assert ask(OUTLINE, START, DENVER, 7, done, [], back) == first
    assert asked == [now, opens, back]


def test_every_input_but_now_tells_answers_apart() -> None:
    asked: list[tuple[object, ...]] = []

    def counted(
        outline: tuple[tuple[str, tuple[str, ...]], ...],
        started_at: datetime,
        tz: ZoneInfo,
        pace_days: int,
        completions: dict[tuple[str, str], datetime],
        overrides: list[OverrideEvent],
        now: datetime,
    ) -> Decision:
        asked.append((outline, started_at, tz, pace_days, completions, overrides))
        return _decide(outline, started_at, tz, pace_days, completions, overrides, now)

    ask = remembered_between(counted)
    now = START + timedelta(days=9)
    done = finish_one(START + timedelta(days=1))
    base = (OUTLINE, START, DENVER, 7, done, [])
    changed = [
        (OUTLINE[:2], START, DENVER, 7, done, []),
        (OUTLINE, START - timedelta(days=7), DENVER, 7, done, []),
        (OUTLINE, START, ZoneInfo("Pacific/Auckland"), 7, done, []),
        (OUTLINE, START, DENVER, 3, done, []),
        (OUTLINE, START, DENVER, 7, {**done, ("two", "c"): now}, []),
        (OUTLINE, START, DENVER, 7, done, [OverrideEvent("pause", now)]),
    ]
    ask(*base, now)
    for inputs in changed:
        ask(*inputs, now)
        ask(*inputs, now)  # the second time remembered
    assert len(asked) == 1 + len(changed)
    with pytest.raises(TypeError, match="cannot be part"):
        ask(OUTLINE, START, DENVER, 7, done, {OverrideEvent("pause", now)}, now)  # type: ignore[arg-type]
