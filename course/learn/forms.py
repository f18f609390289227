"""The step player's form: built from the step's own kind (course/steps/kinds/), once per step.

Required parts are checked by the kind's `missing_required`, not by validators, so "Save for later" can
keep a half-finished answer while "Save and continue" insists on everything the step needs.
"""

from __future__ import annotations

from functools import cache

from ..content.model import Step
from ..forms import KeyedForm


@cache
def step_form_class(step: Step) -> type[KeyedForm]:
    """The form class for a step (cached: the catalog never changes in a running process)."""
    return type(f"StepForm_{step.id.replace('-', '_')}", (KeyedForm,), step.form_fields())
