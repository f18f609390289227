"""Forms for the step player, built from the content's description of each step.

Required parts are checked by `missing_required`, not by validators, so "Save for later" can keep a
half-finished answer while "Save and continue" insists on everything the step needs.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import wtforms
from wtforms import (
    Field as WTField,
)
from wtforms import (
    FieldList,
    FormField,
    SelectMultipleField,
    ValidationError,
)
from wtforms.widgets import ListWidget

from ..content.model import Check, Exercise, Field, HabitStep, JournalStep, Practice, Step
from ..forms import BaseForm, KeyedForm, RowForm, choices
from .widgets import FastCheckboxInput, FastRadioInput, FastSubmitInput, FastTextArea, FastTextInput

JOURNAL_MAX = 50_000


def field_name(field_id: str) -> str:
    """Content ids use dashes; form field names use underscores."""
    return field_id.replace("-", "_")


class MultiCheckboxField(SelectMultipleField):
    """Several choices shown as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = FastCheckboxInput()


# The step player's fields, drawn by the faster widgets of .widgets (the same HTML as WTForms' own). They keep
# WTForms' class names because templates tell fields apart by `field.type`, which is the class name.
class StringField(wtforms.StringField):
    """A one-line text answer."""

    widget = FastTextInput()


class TextAreaField(wtforms.TextAreaField):
    """A longer text answer."""

    widget = FastTextArea()


class RadioField(wtforms.RadioField):
    """One choice among radio buttons."""

    option_widget = FastRadioInput()


class SubmitField(wtforms.SubmitField):
    """A submit button."""

    widget = FastSubmitInput()


class _MaxLength:
    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, _form: Any, field: WTField) -> None:
        length = len(field.data or "")
        if length > self.limit:
            raise ValidationError(
                f"Please keep this to {self.limit:,} characters. It is {length:,} now, so shorten it by "
                f"{length - self.limit:,}. Nothing has been lost."
            )


class _OneOf:
    def __init__(self, values: list[Any], message: str) -> None:
        self.values = values
        self.message = message

    def __call__(self, _form: Any, field: WTField) -> None:
        data = field.data
        if data in (None, "", []):
            return
        items = data if isinstance(data, list) else [data]
        if any(item not in self.values for item in items):
            raise ValidationError(self.message)


def _coerce_int_or_none(value: Any) -> int | None:
    if value in (None, ""):
        return None
    return int(value)


def _make_field(spec: Field) -> WTField:
    kwargs: dict[str, Any] = {"label": spec.label, "description": spec.help or ""}
    if spec.kind in ("text", "longtext"):
        cls = StringField if spec.kind == "text" else TextAreaField
        return cls(validators=[_MaxLength(spec.max_length)], filters=[_strip], **kwargs)
    if spec.kind == "scale":
        values = list(range(spec.min, spec.max + 1))
        return RadioField(
            choices=choices((v, str(v)) for v in values),
            coerce=_coerce_int_or_none,
            validate_choice=False,
            validators=[_OneOf(values, f"Please choose a number from {spec.min} to {spec.max}.")],
            **kwargs,
        )
    if spec.kind == "choice":
        return RadioField(
            choices=choices((o.value, o.label) for o in spec.options),
            validate_choice=False,
            validators=[_OneOf([o.value for o in spec.options], "Please choose one of the options.")],
            **kwargs,
        )
    if spec.kind == "multichoice":
        return MultiCheckboxField(
            choices=choices((o.value, o.label) for o in spec.options),
            validate_choice=False,
            validators=[_OneOf([o.value for o in spec.options], "Please choose from the options shown.")],
            **kwargs,
        )
    row_class = type("Row", (RowForm,), {field_name(f.id): _make_field(f) for f in spec.item_fields})
    return FieldList(FormField(row_class), min_entries=0, max_entries=spec.max_items, **kwargs)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


@cache
def step_form_class(step: Step) -> type[KeyedForm]:
    """The form class for a step (cached: the catalog never changes in a running process)."""
    attrs: dict[str, Any] = {}
    if isinstance(step, Exercise):
        for spec in step.fields:
            attrs[field_name(spec.id)] = _make_field(spec)
            if spec.kind == "list":
                attrs[f"add_{field_name(spec.id)}"] = SubmitField("Add another row")
        attrs["save"] = SubmitField("Save for later")
        attrs["submit"] = SubmitField("Save and continue")
    elif isinstance(step, Check):
        for question in step.questions:
            values = [o.value for o in question.options]
            attrs[field_name(question.id)] = RadioField(
                question.prompt,
                choices=choices((o.value, o.label) for o in question.options),
                validate_choice=False,
                validators=[_OneOf(values, "Please choose one of the answers.")],
            )
        attrs["submit"] = SubmitField("Check my answers")
    elif isinstance(step, Practice):
        for rating in step.ratings:
            for when in ("before", "after"):
                attrs[f"{field_name(rating.id)}_{when}"] = RadioField(
                    rating.label,
                    choices=choices((v, str(v)) for v in range(11)),
                    coerce=_coerce_int_or_none,
                    validate_choice=False,
                    validators=[_OneOf(list(range(11)), "Please choose a number from 0 to 10.")],
                )
        attrs["submit"] = SubmitField("I have done this practice")
    elif isinstance(step, HabitStep):
        attrs["adopt"] = RadioField(
            "Would you like to try this habit?",
            choices=choices([("yes", "Yes, I will try it"), ("no", "Not right now")]),
            validate_choice=False,
            validators=[_OneOf(["yes", "no"], "Please choose one of the options.")],
        )
        attrs["submit"] = SubmitField("Save and continue")
    elif isinstance(step, JournalStep):
        attrs["text"] = TextAreaField(step.prompt, validators=[_MaxLength(JOURNAL_MAX)])
        attrs["save"] = SubmitField("Save for later")
        attrs["submit"] = SubmitField("Save and continue")
    else:
        attrs["submit"] = SubmitField("Next")
    return type(f"StepForm_{step.id.replace('-', '_')}", (KeyedForm,), attrs)


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def answers_from_form(step: Step, form: BaseForm) -> dict[str, Any]:
    """Plain answers to store, keyed by content ids; blank list rows are dropped."""
    answers: dict[str, Any] = {}
    if isinstance(step, Exercise):
        for spec in step.fields:
            data = form[field_name(spec.id)].data
            if spec.kind == "list":
                rows = []
                for row in data or []:
                    clean = {f.id: row.get(field_name(f.id)) for f in spec.item_fields}
                    if not all(_blank(v) for v in clean.values()):
                        rows.append(clean)
                answers[spec.id] = rows
            else:
                answers[spec.id] = data if not _blank(data) else ([] if spec.kind == "multichoice" else None)
    elif isinstance(step, Check):
        answers = {q.id: form[field_name(q.id)].data or None for q in step.questions}
    elif isinstance(step, Practice):
        for rating in step.ratings:
            for when in ("before", "after"):
                answers[f"{rating.id}-{when}"] = form[f"{field_name(rating.id)}_{when}"].data
    elif isinstance(step, HabitStep):
        answers = {"adopt": form["adopt"].data == "yes"} if form["adopt"].data else {}
    elif isinstance(step, JournalStep):
        answers = {"text": form["text"].data or ""}
    return answers


def form_data_from_answers(step: Step, answers: dict[str, Any]) -> dict[str, Any]:
    """The inverse of answers_from_form, to show saved answers again."""
    data: dict[str, Any] = {}
    if isinstance(step, Exercise):
        for spec in step.fields:
            value = answers.get(spec.id)
            if spec.kind == "list":
                value = [{field_name(k): v for k, v in row.items()} for row in value or []]
            data[field_name(spec.id)] = value
    elif isinstance(step, Check):
        data = {field_name(q.id): answers.get(q.id) for q in step.questions}
    elif isinstance(step, Practice):
        for rating in step.ratings:
            for when in ("before", "after"):
                data[f"{field_name(rating.id)}_{when}"] = answers.get(f"{rating.id}-{when}")
    elif isinstance(step, HabitStep) and "adopt" in answers:
        data = {"adopt": "yes" if answers["adopt"] else "no"}
    elif isinstance(step, JournalStep):
        data = {"text": answers.get("text", "")}
    return data


def missing_required(step: Step, form: BaseForm, answers: dict[str, Any]) -> bool:
    """Add a message to each required part left empty; True when anything is missing."""
    missing = False

    def flag(wt_field: WTField, message: str) -> None:
        nonlocal missing
        wt_field.errors = [*list(wt_field.errors or []), message]
        missing = True

    if isinstance(step, Exercise):
        for spec in step.fields:
            wt_field = form[field_name(spec.id)]
            value = answers.get(spec.id)
            if spec.kind == "list":
                if len(value or []) < spec.min_items:
                    flag(wt_field, f"Please add at least {spec.min_items} to finish this step.")
                for index, row in enumerate(value or []):
                    for item in spec.item_fields:
                        if item.required and _blank(row.get(item.id)):
                            flag(
                                wt_field, f"Row {index + 1}: please fill in “{item.label}”, or clear the row."
                            )
            elif spec.required and _blank(value):
                choose = spec.kind in ("scale", "choice", "multichoice")
                flag(
                    wt_field,
                    "Please choose an answer to finish this step."
                    if choose
                    else "Please fill this in to finish this step.",
                )
    elif isinstance(step, Check):
        for question in step.questions:
            if _blank(answers.get(question.id)):
                flag(form[field_name(question.id)], "Please choose an answer.")
    elif isinstance(step, HabitStep):
        if "adopt" not in answers:
            flag(form["adopt"], "Please choose one of the options.")
    elif isinstance(step, JournalStep) and not answers.get("text", "").strip():
        flag(form["text"], "Please write a few words to finish this step, or use “Save for later”.")
    return missing
