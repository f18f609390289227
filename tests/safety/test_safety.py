"""Red flags rank by urgency. (The crisis-language tests live in test_crisis.py.)"""

from __future__ import annotations

from course.safety import RED_FLAGS, urgency_of


def test_urgency_emergency_beats_soon() -> None:
    assert urgency_of([]) is None
    assert urgency_of(["fever"]) == "soon"
    assert urgency_of(["fever", "saddle-numbness"]) == "emergency"
    assert urgency_of(["unknown-id"]) is None


def test_red_flags_have_unique_ids() -> None:
    ids = [flag.id for flag in RED_FLAGS]
    assert len(ids) == len(set(ids))
