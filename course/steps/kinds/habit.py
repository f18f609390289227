"""A habit step: offers a sleep, stress, movement or practice habit the patient may adopt and log daily.

Adopting it on "Save and continue" adds it to the daily check-in (learn/services.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from wtforms import Form

from ...content.building import StepSource
from ...content.model import HABIT_AREAS, Answer, Habit, Step
from ...yamlsource import LineDict
from .. import fields

HABIT_KEYS = {"id": True, "area": True, "name": True, "prompt": True}
CHOICES = (("yes", "Yes, I will try it"), ("no", "Not right now"))


@dataclass(frozen=True)
class HabitStep(Step):
    """Offers a habit the patient may choose to adopt."""

    type: ClassVar[str] = "habit"
    KEYS: ClassVar[Mapping[str, bool]] = {"body": False, "habit": True}

    habit: Habit | None = None

    @classmethod
    def load(cls, source: StepSource) -> HabitStep:
        """Its body and its habit, whose id no other step of the program offers."""
        body_html = source.markdown("body")
        return cls(**source.common, body_html=body_html, habit=_habit(source))

    def form_fields(self) -> dict[str, Any]:
        """Yes or not now, and "Save and continue"."""
        return {
            "adopt": fields.one_choice(
                "Would you like to try this habit?", CHOICES, "Please choose one of the options."
            ),
            "submit": fields.SubmitField("Save and continue"),
        }

    def answers_from_form(self, form: Form) -> dict[str, Any]:
        """{"adopt": true or false}, or nothing when no choice was made."""
        return {"adopt": form["adopt"].data == "yes"} if form["adopt"].data else {}

    def form_data(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The saved choice in the form's names."""
        return {"adopt": "yes" if answers["adopt"] else "no"} if "adopt" in answers else {}

    def missing_required(self, form: Form, answers: Mapping[str, Any]) -> bool:
        """A choice either way."""
        if "adopt" in answers:
            return False
        fields.flag(form["adopt"], "Please choose one of the options.")
        return True

    def free_texts(self, answers: Mapping[str, Any]) -> tuple[str, ...]:
        """A choice only: no words of the patient's."""
        return ()

    def reading(self, answers: Mapping[str, Any]) -> tuple[Answer, ...] | None:
        """The habit, adopted or not now."""
        name = self.habit.name if self.habit is not None else self.title
        return (Answer(name, "adopted" if answers.get("adopt") else "not now"),)

    def habit_adopted(self, answers: Mapping[str, Any]) -> str | None:
        """Its habit, when the patient chose to try it."""
        return self.habit.id if self.habit is not None and answers.get("adopt") else None

    def example_answers(self) -> dict[str, Any]:
        """Adopted."""
        return {"adopt": True}


def _habit(source: StepSource) -> Habit | None:
    reader, data, build = source.reader, source.raw, source.build
    raw = data.get("habit")
    h_what = f"the habit of {source.what}"
    if reader.mapping(raw, data.line_of("habit"), h_what, HABIT_KEYS) is None or not isinstance(
        raw, LineDict
    ):
        return None
    habit_id = reader.slug(raw, "id", h_what)
    area = raw.get("area")
    if area not in HABIT_AREAS:
        reader.error(
            raw.line_of("area"), f"unknown area {area!r} for {h_what} (known: {', '.join(HABIT_AREAS)})"
        )
    habit = Habit(
        id=habit_id,
        area=str(area),
        name=reader.text(raw, "name", h_what) or "",
        prompt=reader.text(raw, "prompt", h_what) or "",
        module_slug=source.module,
        step_id=source.step_id,
    )
    if habit_id in build.habits:
        reader.error(
            raw.line_of("id"), f"habit id '{habit_id}' is already used in {build.habit_sources[habit_id]}"
        )
    else:
        build.habits[habit_id] = habit
        build.habit_sources[habit_id] = f"{reader.display}:{raw.line}"
    return habit
