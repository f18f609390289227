"""A guided practice: a script, a timer, and optional 0-10 ratings before and after."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from wtforms import Form

from ...content.building import StepSource
from ...content.model import Answer, Step
from ...yamlsource import LineDict
from .. import fields

RATING_KEYS = {"id": True, "label": True, "min_label": False, "max_label": False}
WHEN = ("before", "after")


@dataclass(frozen=True)
class Rating:
    """A 0-10 rating asked before and after a practice."""

    id: str
    label: str
    min_label: str | None = None
    max_label: str | None = None


@dataclass(frozen=True)
class Practice(Step):
    """A guided practice with a script, a timer and optional ratings before and after."""

    type: ClassVar[str] = "practice"
    KEYS: ClassVar[Mapping[str, bool]] = {
        "body": False,
        "script": True,
        "minutes": True,
        "ratings": False,
        "audio": False,
    }

    script_html: str = ""
    minutes: int = 5
    ratings: tuple[Rating, ...] = ()

    def transcript(self) -> str:
        """A recorded guide of a practice reads its script."""
        return self.script_html

    @classmethod
    def load(cls, source: StepSource) -> Practice:
        """Its body, script (Markdown), minutes and ratings."""
        body_html = source.markdown("body")
        return cls(
            **source.common,
            body_html=body_html,
            script_html=source.markdown("script"),
            minutes=source.integer("minutes", 5, 1, 60),
            ratings=_ratings(source),
        )

    @property
    def collects_answers(self) -> bool:
        """Its ratings, when it has some, read to the therapist: then it can be a feedback moment."""
        return bool(self.ratings)

    def form_fields(self) -> dict[str, Any]:
        """Each rating before and after (optional), and "I have done this practice"."""
        attrs: dict[str, Any] = {
            f"{fields.field_name(rating.id)}_{when}": fields.scale(rating.label, 0, 10)
            for rating in self.ratings
            for when in WHEN
        }
        attrs["submit"] = fields.SubmitField("I have done this practice")
        return attrs

    def answers_from_form(self, form: Form) -> dict[str, Any]:
        """Each rating as "<id>-before" and "<id>-after" (None when skipped)."""
        return {
            f"{rating.id}-{when}": form[f"{fields.field_name(rating.id)}_{when}"].data
            for rating in self.ratings
            for when in WHEN
        }

    def form_data(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The saved ratings in the form's names."""
        return {
            f"{fields.field_name(rating.id)}_{when}": answers.get(f"{rating.id}-{when}")
            for rating in self.ratings
            for when in WHEN
        }

    def missing_required(self, form: Form, answers: Mapping[str, Any]) -> bool:
        """The ratings are optional."""
        return False

    def free_texts(self, answers: Mapping[str, Any]) -> tuple[str, ...]:
        """Numbers only: no words of the patient's."""
        return ()

    def reading(self, answers: Mapping[str, Any]) -> tuple[Answer, ...] | None:
        """Each rating before and after; a practice without ratings reads as done."""
        if not self.ratings:
            return (Answer("The practice", "done"),)
        return tuple(
            Answer(
                r.label, f"before {_rated(answers, r.id, 'before')}, after {_rated(answers, r.id, 'after')}"
            )
            for r in self.ratings
        )

    def example_answers(self) -> dict[str, Any]:
        """Each rating a little lower after than before."""
        return {
            f"{r.id}-{when}": value for r in self.ratings for when, value in zip(WHEN, (6, 4), strict=True)
        }


def _rated(answers: Mapping[str, Any], rating_id: str, when: str) -> str:
    value = answers.get(f"{rating_id}-{when}")
    return "–" if value is None else str(value)


def _ratings(source: StepSource) -> tuple[Rating, ...]:
    reader, data, what = source.reader, source.raw, source.what
    raw = data.get("ratings")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        reader.error(data.line_of("ratings"), f"'ratings' of {what} must be a list")
        return ()
    result: list[Rating] = []
    for item in raw:
        r_what = f"a rating of {what}"
        if isinstance(item, LineDict) and reader.mapping(item, item.line, r_what, RATING_KEYS) is not None:
            result.append(
                Rating(
                    id=reader.slug(item, "id", r_what),
                    label=reader.text(item, "label", r_what) or "",
                    min_label=reader.text(item, "min_label", r_what),
                    max_label=reader.text(item, "max_label", r_what),
                )
            )
        elif not isinstance(item, LineDict):
            reader.error(data.line_of("ratings"), f"each rating of {what} must be a mapping")
    ids = [r.id for r in result]
    if len(set(ids)) != len(ids):
        reader.error(data.line_of("ratings"), f"ratings of {what} repeat an id")
    return tuple(result)
