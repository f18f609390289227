"""The unlock policy: one pure function decides which modules and steps a patient may open, asked through
`program_state` (which remembers its answers; see `remembered_between`).

Rules (docs/ARCHITECTURE.md has the reasoning):
- Module 1 opens at enrollment.
- Module k+1 opens when module k is complete and `pace_days` local calendar days have passed since module k
  opened (it opens at the patient's local midnight of that day, or at completion if that is later).
- While the program is paused nothing opens by itself; what would have opened during a pause opens at resume.
- A therapist's "unlock next" opens the first module still locked at that moment, and only that one.
- Inside an open module, a step opens when every step before it is complete.
- A step added to a module later (`added`: the date it was added) does not hold that module for a patient who
  had finished every other step of it before that date: it is offered to them, not required (`new_steps`).
- A feedback moment (a step the content marks `feedback:`) holds what comes after it once the patient has
  finished it: the next step of its module ("step"; for a module's last step, the next module) or the next
  module ("module"). It lets go at the therapist's reply or `feedback_days` after it was finished, whichever
  comes first, so nobody is left stuck. A module a therapist opens early is never held.
Only events at or before `now` count. No Flask, no database: plain data in, plain data out.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache, wraps
from types import MappingProxyType
from typing import Literal, NamedTuple, ParamSpec
from zoneinfo import ZoneInfo

P = ParamSpec("P")

OverrideKindName = Literal["unlock_next", "pause", "resume"]
Outline = Sequence[tuple[str, Sequence[str]]]
# What a feedback moment holds once finished: the next step of its module, or the next module.
HoldKind = Literal["step", "module"]
# The feedback moments of an outline: (module slug, step id, what it holds), as the content marks them.
Holds = tuple[tuple[str, str, HoldKind], ...]
# The days a feedback moment waits for the therapist's reply before it lets go by itself (a clinic setting,
# COURSE_FEEDBACK_DAYS, defaults to this).
FEEDBACK_DAYS = 3
_NO_REPLIES: Mapping[tuple[str, str], datetime] = MappingProxyType({})


@dataclass(frozen=True)
class OverrideEvent:
    """A therapist's pacing change at a moment."""

    kind: OverrideKindName
    at: datetime


class ModuleState(NamedTuple):
    """What the policy says about one module at `now` (a named tuple: every patient page makes one per module,
    and a frozen dataclass took several times as long to build)."""

    slug: str
    position: int  # 0 for the first module
    opened_at: datetime | None
    opened_early: bool  # opened by a therapist's override
    completed_at: datetime | None
    steps_total: int
    steps_done: int
    next_step: str | None  # the first step not yet complete
    opens_on: date | None  # for a locked module: the local date its time condition is met
    waiting_for: str | None  # for a locked module: the slug of the module that must be finished first
    # Steps added to the module after the patient had finished the rest of it, not yet done: offered as new,
    # not required (see `waived_steps`). Not counted in steps_total.
    new_steps: tuple[str, ...] = ()

    @property
    def is_open(self) -> bool:
        """The patient may work in this module."""
        return self.opened_at is not None

    @property
    def is_done(self) -> bool:
        """Every step is complete."""
        return self.completed_at is not None

    @property
    def status(self) -> Literal["done", "open", "locked"]:
        """done, open or locked, for display."""
        if self.is_done and self.is_open:
            return "done"
        return "open" if self.is_open else "locked"


class Waiting(NamedTuple):
    """A finished feedback moment still waiting for the therapist's reply at `now`: what it holds (a hold of
    a module's last step is a "module" hold here) and the moment it lets go without a reply."""

    holds: HoldKind
    until: datetime


_NOTHING_WAITING: Mapping[tuple[str, str], Waiting] = MappingProxyType({})


@dataclass(frozen=True)
class ProgramState:
    """The whole program for one patient at `now`."""

    modules: tuple[ModuleState, ...]
    paused: bool
    step_ids: Mapping[str, tuple[str, ...]]
    completed: frozenset[tuple[str, str]]
    # The finished feedback moments still waiting for a reply, by (module slug, step id).
    waiting: Mapping[tuple[str, str], Waiting] = field(default_factory=lambda: _NOTHING_WAITING)

    def module(self, slug: str) -> ModuleState | None:
        """The state of one module, or None when the program has no such module."""
        for state in self.modules:
            if state.slug == slug:
                return state
        return None

    def step_is_open(self, slug: str, step_id: str) -> bool:
        """A step is open when its module is open and every earlier step is complete (or only offered to
        this patient: `new_steps`)."""
        state = self.module(slug)
        if state is None or not state.is_open or step_id not in self.step_ids[slug]:
            return False
        for earlier in self.step_ids[slug]:
            if earlier == step_id:
                return True
            if ((slug, earlier) not in self.completed and earlier not in state.new_steps) or self._holds_step(
                slug, earlier
            ):
                return False
        return False

    def _holds_step(self, slug: str, step_id: str) -> bool:
        wait = self.waiting.get((slug, step_id))
        return wait is not None and wait.holds == "step"

    def held_by(self, slug: str, step_id: str) -> tuple[str, Waiting] | None:
        """The feedback moment (its step id, and its wait) that holds this step of an open module, if any."""
        for earlier in self.step_ids.get(slug, ()):
            if earlier == step_id:
                return None
            if self._holds_step(slug, earlier):
                return earlier, self.waiting[(slug, earlier)]
        return None

    def module_held_by(self, slug: str) -> tuple[str, str, Waiting] | None:
        """For a locked module: the feedback moment of the module before it that holds it, if any."""
        state = self.module(slug)
        if state is None or state.is_open or state.position == 0:
            return None
        previous = self.modules[state.position - 1].slug
        for (module_slug, step_id), wait in self.waiting.items():
            if module_slug == previous and wait.holds == "module":
                return module_slug, step_id, wait
        return None

    def step_is_complete(self, slug: str, step_id: str) -> bool:
        """Whether the patient completed this step."""
        return (slug, step_id) in self.completed

    @property
    def current(self) -> tuple[str, str] | None:
        """What to do today: the first incomplete step of the earliest open, unfinished module."""
        for state in self.modules:
            if state.is_open and state.next_step is not None:
                return state.slug, state.next_step
        return None

    @property
    def finished(self) -> bool:
        """Every module complete."""
        return all(state.is_done for state in self.modules)

    @property
    def next_locked(self) -> ModuleState | None:
        """The first module not yet open."""
        for state in self.modules:
            if not state.is_open:
                return state
        return None


class Decision(NamedTuple):
    """The policy's answer at a moment, and the first moment after it at which time alone may change it."""

    state: ProgramState
    until: datetime | None


def local_midnight_after(moment: datetime, days: int, tz: ZoneInfo) -> datetime:
    """The start of the local calendar day `days` after the local day of `moment`."""
    local_day = moment.astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(local_day, time(0), tzinfo=tz)


@lru_cache(maxsize=8192)
def _utc_midnight_after(moment: datetime, days: int, tz: ZoneInfo) -> datetime:
    """`local_midnight_after` in UTC, remembered: the same moments come back on every page of a patient."""
    return local_midnight_after(moment, days, tz).astimezone(UTC)


def waived_steps(
    slug: str,
    steps: Sequence[str],
    added: Mapping[tuple[str, str], date],
    done: Mapping[tuple[str, str], datetime],
    tz: ZoneInfo,
) -> frozenset[str]:
    """The steps of a module that do not hold it for this patient: a step added to it later (`added`: the
    local date it was added) when the patient had finished the module as it was before that date: each step
    it held then (not added, or added on an earlier date) complete before the date began in the patient's
    zone, or itself waived. So content may grow a week a patient has finished without opening it again,
    while a patient who reaches the week later does every step. Pure: the completions given are those that
    count."""
    dated = sorted((day, step) for step in steps if (day := added.get((slug, step))) is not None)
    waived: set[str] = set()
    for day, step in dated:
        began = datetime.combine(day, time(0), tzinfo=tz)
        held_then = [
            other
            for other in steps
            if other != step and ((slug, other) not in added or added[(slug, other)] < day)
        ]
        if all(
            other in waived or ((at := done.get((slug, other))) is not None and at < began)
            for other in held_then
        ):
            waived.add(step)
    return frozenset(waived)


def _pause_intervals(
    overrides: Sequence[OverrideEvent], now: datetime
) -> tuple[list[tuple[datetime, datetime | None]], bool]:
    intervals: list[tuple[datetime, datetime | None]] = []
    paused_since: datetime | None = None
    for event in overrides:
        if event.at > now:
            break
        if event.kind == "pause" and paused_since is None:
            paused_since = event.at
        elif event.kind == "resume" and paused_since is not None:
            intervals.append((paused_since, event.at))
            paused_since = None
    if paused_since is not None:
        intervals.append((paused_since, None))
    return intervals, paused_since is not None


def _outside_pauses(moment: datetime, intervals: list[tuple[datetime, datetime | None]]) -> datetime | None:
    """The first time at or after `moment` that is not inside a pause; None while paused for good."""
    for start, end in intervals:
        if start <= moment and (end is None or moment < end):
            if end is None:
                return None
            moment = end
    return moment


def _decide(
    outline: Outline,
    started_at: datetime,
    tz: ZoneInfo,
    pace_days: int,
    completions: Mapping[tuple[str, str], datetime],
    overrides: Sequence[OverrideEvent],
    now: datetime,
    holds: Holds = (),
    replies: Mapping[tuple[str, str], datetime] = _NO_REPLIES,
    feedback_days: int = FEEDBACK_DAYS,
    *,
    added: Mapping[tuple[str, str], date] = MappingProxyType({}),
) -> Decision:
    """What is open, done and locked at `now` (see the module docstring), and the first moment after `now` at
    which it may differ for the same completions, overrides and replies (None: not by time alone). Until then
    the state at any moment from `now` on is this one: time changes it only when an event dated later comes to
    count, a module's opening time arrives, a locked module's opening day arrives, or a feedback moment lets
    go (its reply dated later, or its days without one run out). (Whether an added step is waived depends
    only on completions, which count from their own moment: no moment of its own.)

    `holds` are the outline's feedback moments, `replies` the therapist's reply to each (its time), and
    `feedback_days` how long a feedback moment waits without one; `added` the dates steps were added."""
    if pace_days < 1:
        raise ValueError("pace_days must be at least 1")
    if feedback_days < 1:
        raise ValueError("feedback_days must be at least 1")
    events = sorted(overrides, key=lambda e: e.at)
    # The moments after `now` at which something would change: completions and overrides dated later count
    # from their moment on (program pages read none of them, but a therapist's view may).
    later = [e.at for e in events if e.at > now] + [at for at in completions.values() if at > now]
    intervals, paused = _pause_intervals(events, now)
    unlocks = [e.at for e in events if e.kind == "unlock_next" and started_at <= e.at <= now]
    done = {key: at for key, at in completions.items() if at <= now}

    # One pass over each module's steps: how many are done, the first not done, and when the module was
    # finished (its last completion, once every step is done). Every patient page asks this.
    # A waived step (`waived_steps`) neither holds the module nor moves the moment it was finished.
    finished: dict[str, datetime | None] = {}
    counts: list[tuple[int, str | None, tuple[str, ...]]] = []
    for slug, steps in outline:
        waived = waived_steps(slug, steps, added, done, tz) if added else frozenset()
        steps_done = 0
        next_step: str | None = None
        latest: datetime | None = None
        offered: list[str] = []
        for step in steps:
            at = done.get((slug, step))
            if at is None:
                if step in waived:
                    offered.append(step)
                elif next_step is None:
                    next_step = step
            else:
                steps_done += 1
                if step not in waived and (latest is None or at > latest):
                    latest = at
        finished[slug] = latest if steps and next_step is None and latest is not None else None
        counts.append((steps_done, next_step, tuple(offered)))

    # Each finished feedback moment lets go at the reply or after `feedback_days`, whichever comes first;
    # until then it holds the next step, or the next module (which opens no earlier than it lets go).
    waiting: dict[tuple[str, str], Waiting] = {}
    module_release: dict[str, datetime] = {}
    if holds:
        last_steps = {slug: steps[-1] for slug, steps in outline if steps}
        for slug, step, kind in holds:
            asked = done.get((slug, step))
            if asked is None or slug not in last_steps:
                continue
            timeout = asked + timedelta(days=feedback_days)
            reply = replies.get((slug, step))
            release = timeout if reply is None else max(min(reply, timeout), asked)
            holds_what: HoldKind = "module" if kind == "module" or last_steps[slug] == step else "step"
            if release > now:
                later.append(release)
                waiting[(slug, step)] = Waiting(holds_what, timeout)
            if holds_what == "module":
                module_release[slug] = max(release, module_release.get(slug, release))

    opened: list[datetime] = []
    early: list[bool] = []
    if outline:
        opened.append(started_at)
        early.append(False)
    while 0 < len(opened) < len(outline):
        k = len(opened)
        prev_done = finished[outline[k - 1][0]]
        natural: datetime | None = None
        if prev_done is not None:
            # In UTC: comparing times of two zones asks the local zone for its offset on every comparison.
            midnight = _utc_midnight_after(opened[k - 1], pace_days, tz)
            due = max(midnight, prev_done, opened[k - 1], module_release.get(outline[k - 1][0], prev_done))
            natural = _outside_pauses(due, intervals)
        override = unlocks[0] if unlocks else None
        candidates = [t for t in (natural, override) if t is not None]
        if not candidates:
            break
        when = min(candidates)
        if when > now:
            later.append(when)
            break
        # On a tie the module opens by itself and the unlock goes on to the next one: an unlock opens the
        # first module still locked at its moment (found by the property tests).
        by_override = override is not None and override == when and (natural is None or override < natural)
        if by_override:
            unlocks.pop(0)
        opened.append(when)
        early.append(by_override)

    completed = frozenset(done)
    states: list[ModuleState] = []
    for index, (slug, steps) in enumerate(outline):
        is_open = index < len(opened)
        steps_done, next_step, new_steps = counts[index]
        complete = finished[slug] if is_open else None
        opens_on: date | None = None
        waiting_for: str | None = None
        if not is_open and index == len(opened) and index > 0:
            prev_slug = outline[index - 1][0]
            if finished[prev_slug] is None:
                waiting_for = prev_slug
            day = local_midnight_after(opened[index - 1], pace_days, tz)
            if day > now:
                opens_on = day.date()
                later.append(day)
        elif not is_open and index > 0:
            waiting_for = outline[index - 1][0]
        states.append(
            ModuleState(
                slug=slug,
                position=index,
                opened_at=opened[index] if is_open else None,
                opened_early=early[index] if is_open else False,
                completed_at=(max(complete, opened[index]) if complete is not None else None),
                steps_total=len(steps) - len(new_steps),
                steps_done=steps_done if is_open else 0,
                next_step=next_step if is_open else None,
                opens_on=opens_on,
                waiting_for=waiting_for,
                new_steps=new_steps if is_open else (),
            )
        )
    state = ProgramState(
        modules=tuple(states),
        paused=paused,
        # Read-only: a state may be shared by every page that asks with the same facts (learn/services.py).
        step_ids=MappingProxyType({slug: tuple(steps) for slug, steps in outline}),
        completed=completed,
        waiting=MappingProxyType(waiting) if waiting else _NOTHING_WAITING,
    )
    return Decision(state, min(later, default=None))


# The answer for one set of inputs but `now`: the moments it holds between and the state.
_Held = tuple[datetime, datetime | None, ProgramState]


class _Window:
    """Where `remembered_between` keeps its latest answer for one set of inputs."""

    __slots__ = ("held",)

    def __init__(self) -> None:
        self.held: _Held | None = None


def _hashable(value: object) -> Hashable:
    """An argument as part of a memo key: a mapping as its items, a list as a tuple."""
    if isinstance(value, Mapping):
        return frozenset(value.items())
    if isinstance(value, list):
        return tuple(value)
    if not isinstance(value, Hashable):
        raise TypeError(f"{type(value).__name__} cannot be part of a remembered answer's key")
    return value


def remembered_between(decide: Callable[P, Decision]) -> Callable[P, ProgramState]:
    """`decide`'s state, remembered for the inputs it was given: every argument but `now`, taken from its own
    signature (so a new input is part of the key by being a parameter). The answer is reused while `now`
    falls between the moment it was worked out for and the moment `decide` said time may change it (a
    clock set back works it out again)."""
    signature = inspect.signature(decide)

    @lru_cache(maxsize=4096)
    def window(_key: tuple[Hashable, ...]) -> _Window:
        return _Window()

    @wraps(decide)
    def remembered(*args: P.args, **kwargs: P.kwargs) -> ProgramState:
        arguments = signature.bind(*args, **kwargs).arguments
        now: datetime = arguments.pop("now")
        kept = window(tuple(_hashable(value) for value in arguments.values()))
        held = kept.held
        if held is not None and held[0] <= now and (held[1] is None or now < held[1]):
            return held[2]
        state, until = decide(*args, **kwargs)
        kept.held = (now, until, state)
        return state

    return remembered


# The one way to ask the pacing policy: what is open, done and locked at `now`, given the outline of the
# patient's path, their start, time zone and the pace, their completions and the therapist's overrides, and
# the outline's feedback moments with the therapist's replies and the days a reply is waited for.
program_state = remembered_between(_decide)
