"""A journal step: a reflection prompt whose answer becomes a private journal entry.

Its text is saved as a journal entry (learn/services.py), so the step's own answers hold only the entry's
id, and the therapist reads it only if the patient shares the entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from wtforms import Form

from ...content.building import StepSource
from ...content.model import Answer, Step
from .. import fields

JOURNAL_MAX = 50_000


@dataclass(frozen=True)
class JournalStep(Step):
    """A reflection prompt whose answer becomes a journal entry."""

    type: ClassVar[str] = "journal"
    KEYS: ClassVar[Mapping[str, bool]] = {"body": False, "prompt": True}

    prompt: str = ""

    @classmethod
    def load(cls, source: StepSource) -> JournalStep:
        """Its body and prompt."""
        body_html = source.markdown("body")
        return cls(**source.common, body_html=body_html, prompt=source.text("prompt") or "")

    def form_fields(self) -> dict[str, Any]:
        """The text, "Save and continue" and "Save for later"."""
        return {
            "text": fields.TextAreaField(self.prompt, validators=[fields.MaxLength(JOURNAL_MAX)]),
            "save": fields.SubmitField("Save for later"),
            "submit": fields.SubmitField("Save and continue"),
        }

    def answers_from_form(self, form: Form) -> dict[str, Any]:
        """{"text": ...}; the save turns it into a journal entry."""
        return {"text": form["text"].data or ""}

    def form_data(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The text in the form's names."""
        return {"text": answers.get("text", "")}

    def missing_required(self, form: Form, answers: Mapping[str, Any]) -> bool:
        """A few words, or "Save for later"."""
        if str(answers.get("text", "")).strip():
            return False
        fields.flag(form["text"], "Please write a few words to finish this step, or use “Save for later”.")
        return True

    def free_texts(self, answers: Mapping[str, Any]) -> tuple[str, ...]:
        """The reflection's text (saved as a journal entry, which the journal's own save watches)."""
        text = answers.get("text")
        return (text,) if isinstance(text, str) else ()

    def reading(self, answers: Mapping[str, Any]) -> tuple[Answer, ...] | None:
        """Private: the therapist reads a journal entry only when the patient shares it."""
        return None

    def example_answers(self) -> dict[str, Any]:
        """A short reflection."""
        return {"text": "I noticed my pain was lower on the day I spent with my sister. That surprised me."}
