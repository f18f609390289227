"""An exercise: a form the content describes, field by field (text, scale, choice, multichoice, list).

The fields' forms, answers, checks and reading are shared with any kind built from fields (course/steps/
fields.py); an exercise adds "Save for later", and a choice field may ask about post-exertional malaise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from wtforms import Form

from ...content.building import StepSource
from ...content.fieldspecs import read_fields
from ...content.model import Answer, Field, Step
from .. import fields


@dataclass(frozen=True)
class Exercise(Step):
    """A reconceptualization exercise: a form described in the content."""

    type: ClassVar[str] = "exercise"
    KEYS: ClassVar[Mapping[str, bool]] = {"body": False, "fields": True}

    fields: tuple[Field, ...] = ()

    @classmethod
    def load(cls, source: StepSource) -> Exercise:
        """Its body and at least one field."""
        body_html = source.markdown("body")
        found = read_fields(source.reader, source.raw, "fields", source.what)
        if not found and "fields" in source.raw:
            source.error(source.line("fields"), f"{source.what} needs at least one field")
        return cls(**source.common, body_html=body_html, fields=found)

    @property
    def collects_answers(self) -> bool:
        """Its fields are answers the therapist reads: it can be a feedback moment."""
        return True

    @property
    def pem_fields(self) -> tuple[Field, ...]:
        """Its choice fields that ask about post-exertional malaise (`pem_question: true`)."""
        return tuple(spec for spec in self.fields if spec.pem_question)

    def form_fields(self) -> dict[str, Any]:
        """Its fields, then "Save and continue" and "Save for later"."""
        attrs = fields.form_fields_for(self.fields)
        attrs["save"] = fields.SubmitField("Save for later")
        attrs["submit"] = fields.SubmitField("Save and continue")
        return attrs

    def answers_from_form(self, form: Form) -> dict[str, Any]:
        """Each field's answer; blank list rows dropped."""
        return fields.answers_of(self.fields, form)

    def form_data(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The saved answers in the form's names."""
        return fields.form_data_of(self.fields, answers)

    def missing_required(self, form: Form, answers: Mapping[str, Any]) -> bool:
        """Required fields, and lists short of their rows."""
        return fields.missing_in(self.fields, form, answers)

    def free_texts(self, answers: Mapping[str, Any]) -> tuple[str, ...]:
        """Every text and longtext answer, in list rows too."""
        return fields.free_texts_of(self.fields, answers)

    def reading(self, answers: Mapping[str, Any]) -> tuple[Answer, ...] | None:
        """Each field's label and answer."""
        return fields.reading_of(self.fields, answers)

    def example_answers(self) -> dict[str, Any]:
        """A plausible answer to every field."""
        return {spec.id: fields.example_answer(spec) for spec in self.fields}
