"""A knowledge check: questions with one answer that fits best; the explanation teaches whatever was chosen.

Not a test: any answer completes it, and the page then shows what each answer means.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from wtforms import Form

from ...content.building import StepSource
from ...content.fieldspecs import read_options
from ...content.model import Answer, Option, Step
from ...yamlsource import LineDict
from .. import fields

QUESTION_KEYS = {"id": True, "prompt": True, "options": True, "answer": True, "explanation": True}


@dataclass(frozen=True)
class Question:
    """A knowledge-check question; the explanation teaches whatever was chosen."""

    id: str
    prompt: str
    options: tuple[Option, ...]
    answer: str
    explanation_html: str


@dataclass(frozen=True)
class Check(Step):
    """A short knowledge check."""

    type: ClassVar[str] = "check"
    KEYS: ClassVar[Mapping[str, bool]] = {"body": False, "questions": True}
    SHOW_AFTER_FINISHING: ClassVar[str | None] = "feedback"

    questions: tuple[Question, ...] = ()

    @classmethod
    def load(cls, source: StepSource) -> Check:
        """Its body and questions, each answer one of its question's options."""
        body_html = source.markdown("body")
        return cls(**source.common, body_html=body_html, questions=_questions(source))

    @property
    def collects_answers(self) -> bool:
        """Its chosen answers read to the therapist: it can be a feedback moment."""
        return True

    def form_fields(self) -> dict[str, Any]:
        """A radio group per question, and "Check my answers"."""
        attrs: dict[str, Any] = {
            fields.field_name(q.id): fields.one_choice(
                q.prompt, ((o.value, o.label) for o in q.options), "Please choose one of the answers."
            )
            for q in self.questions
        }
        attrs["submit"] = fields.SubmitField("Check my answers")
        return attrs

    def answers_from_form(self, form: Form) -> dict[str, Any]:
        """The value chosen for each question (None when none)."""
        return {q.id: form[fields.field_name(q.id)].data or None for q in self.questions}

    def form_data(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The saved choices in the form's names."""
        return {fields.field_name(q.id): answers.get(q.id) for q in self.questions}

    def missing_required(self, form: Form, answers: Mapping[str, Any]) -> bool:
        """Every question needs an answer."""
        missing = False
        for question in self.questions:
            if fields.blank(answers.get(question.id)):
                fields.flag(form[fields.field_name(question.id)], "Please choose an answer.")
                missing = True
        return missing

    def free_texts(self, answers: Mapping[str, Any]) -> tuple[str, ...]:
        """Choices only: no words of the patient's."""
        return ()

    def reading(self, answers: Mapping[str, Any]) -> tuple[Answer, ...] | None:
        """Per question: the answer intended, or the one chosen."""
        found = []
        for q in self.questions:
            chosen = answers.get(q.id)
            label = next((o.label for o in q.options if o.value == chosen), chosen)
            found.append(
                Answer(q.prompt, "as intended" if chosen == q.answer else f"another answer ({label})")
            )
        return tuple(found)

    def example_answers(self) -> dict[str, Any]:
        """The intended answers."""
        return {q.id: q.answer for q in self.questions}


def _questions(source: StepSource) -> tuple[Question, ...]:
    reader, data, what = source.reader, source.raw, source.what
    raw = data.get("questions")
    if not isinstance(raw, list) or not raw:
        reader.error(data.line_of("questions"), f"'questions' of {what} must be a non-empty list")
        return ()
    result: list[Question] = []
    ids: set[str] = set()
    for item in raw:
        if not isinstance(item, LineDict):
            reader.error(data.line_of("questions"), f"each question of {what} must be a mapping")
            continue
        q_what = f"question '{item.get('id', '?')}' of {what}"
        if reader.mapping(item, item.line, q_what, QUESTION_KEYS) is None:
            continue
        q_id = reader.slug(item, "id", q_what)
        if q_id in ids:
            reader.error(item.line_of("id"), f"duplicate question id '{q_id}' in {what}")
        ids.add(q_id)
        options = read_options(reader, item, q_what)
        answer = str(item.get("answer", ""))
        if options and answer not in {o.value for o in options}:
            reader.error(
                item.line_of("answer"), f"answer {answer!r} of {q_what} is not one of its option values"
            )
        explanation = reader.text(item, "explanation", q_what) or ""
        result.append(
            Question(
                id=q_id,
                prompt=reader.text(item, "prompt", q_what) or "",
                options=options,
                answer=answer,
                explanation_html=source.build.markdown(
                    reader, explanation, source.module, item.line_of("explanation") + 1
                ),
            )
        )
    return tuple(result)
