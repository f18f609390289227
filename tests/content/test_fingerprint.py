"""The catalog's fingerprint changes exactly when what progress and pacing are computed from changes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from course.content.loader import load_catalog

FIXTURE = Path(__file__).parent.parent / "fixtures" / "program"


def test_fingerprint_is_stable_and_follows_the_program_shape() -> None:
    catalog = load_catalog(FIXTURE)
    again = load_catalog(FIXTURE)
    assert catalog.fingerprint() == again.fingerprint() == catalog.fingerprint()
    first, *rest = catalog.modules
    renamed = dataclasses.replace(first, title=first.title + " (new)")
    reweeked = dataclasses.replace(first, week=first.week + 10)
    fewer_steps = dataclasses.replace(first, steps=first.steps[:-1])
    changed = [
        dataclasses.replace(catalog, pace_days=catalog.pace_days + 1),
        dataclasses.replace(catalog, modules=(renamed, *rest)),
        dataclasses.replace(catalog, modules=(reweeked, *rest)),
        dataclasses.replace(catalog, modules=(fewer_steps, *rest)),
        dataclasses.replace(catalog, modules=tuple(rest)),
    ]
    prints = {c.fingerprint() for c in changed}
    assert len(prints) == len(changed)
    assert catalog.fingerprint() not in prints
    # What rows do not depend on leaves it alone.
    assert dataclasses.replace(catalog, title="Another title").fingerprint() == catalog.fingerprint()
