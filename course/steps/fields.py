"""The step player's form parts, shared by the kinds of step (course/steps/<kind>.py).

A content `Field` (text, longtext, scale, choice, multichoice, list) becomes a WTForms field here, and the
answers of a tuple of fields are read, shown again, checked, scanned and read to a therapist here, so a kind
built from fields (an exercise, an exposure log) writes none of that itself. Pure: WTForms, no Flask.

Required parts are checked by `missing_required`-style functions, not by validators, so "Save for later" can
keep a half-finished answer while "Save and continue" insists on everything the step needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import wtforms
from wtforms import Field as WTField
from wtforms import FieldList, FormField, SelectChoice, SelectMultipleField, ValidationError
from wtforms.widgets import ListWidget

from ..content.model import FREE_TEXT_KINDS, Answer, Field
from ..text import CleanTextMeta
from .widgets import FastCheckboxInput, FastRadioInput, FastSubmitInput, FastTextArea, FastTextInput


def field_name(field_id: str) -> str:
    """Content ids use dashes; form field names use underscores."""
    return field_id.replace("-", "_")


class MultiCheckboxField(SelectMultipleField):
    """Several choices shown as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = FastCheckboxInput()


# Drawn by the faster widgets of .widgets (the same HTML as WTForms' own). They keep WTForms' class names
# because templates and course/fields.py tell fields apart by `field.type`, which is the class name.
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


class RowForm(wtforms.Form):
    """A row of a list field inside a step's form: its text is cleaned like the form's, and it has no token
    (the page's form carries it)."""

    class Meta(CleanTextMeta):
        pass


class MaxLength:
    """A length limit whose message says by how much, and that nothing typed is lost."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, _form: Any, field: WTField) -> None:
        length = len(field.data or "")
        if length > self.limit:
            raise ValidationError(
                f"Please keep this to {self.limit:,} characters. It is {length:,} now, so shorten it by "
                f"{length - self.limit:,}. Nothing has been lost."
            )


class OneOf:
    """The answer (or each of several) is one of these values; blank passes (required is checked later)."""

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


def coerce_int_or_none(value: Any) -> int | None:
    """A radio's value as a whole number; nothing chosen stays None."""
    if value in (None, ""):
        return None
    return int(value)


def choices_of(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def scale(label: str, low: int, high: int, **kwargs: Any) -> Any:
    """A row of radio buttons from low to high (ratings, scale fields)."""
    values = list(range(low, high + 1))
    return RadioField(
        label,
        choices=choices_of((v, str(v)) for v in values),
        coerce=coerce_int_or_none,
        validate_choice=False,
        validators=[OneOf(values, f"Please choose a number from {low} to {high}.")],
        **kwargs,
    )


def one_choice(label: str, pairs: Iterable[tuple[str, str]], message: str, **kwargs: Any) -> Any:
    """Radio buttons for one of several answers."""
    listed = list(pairs)
    return RadioField(
        label,
        choices=choices_of(listed),
        validate_choice=False,
        validators=[OneOf([value for value, _label in listed], message)],
        **kwargs,
    )


def strip(value: Any) -> Any:
    """Text without surrounding blanks; anything else unchanged."""
    return value.strip() if isinstance(value, str) else value


def blank(value: Any) -> bool:
    """Nothing given: None, empty text or no choices."""
    return value is None or value == "" or value == []


def make_field(spec: Field) -> Any:
    """The WTForms field for a content field (a list field is a list of row forms)."""
    kwargs: dict[str, Any] = {"description": spec.help or ""}
    if spec.kind in FREE_TEXT_KINDS:
        cls = StringField if spec.kind == "text" else TextAreaField
        return cls(spec.label, validators=[MaxLength(spec.max_length)], filters=[strip], **kwargs)
    if spec.kind == "scale":
        return scale(spec.label, spec.min, spec.max, **kwargs)
    if spec.kind == "choice":
        pairs = ((o.value, o.label) for o in spec.options)
        return one_choice(spec.label, pairs, "Please choose one of the options.", **kwargs)
    if spec.kind == "multichoice":
        return MultiCheckboxField(
            spec.label,
            choices=choices_of((o.value, o.label) for o in spec.options),
            validate_choice=False,
            validators=[OneOf([o.value for o in spec.options], "Please choose from the options shown.")],
            **kwargs,
        )
    row_class = type("Row", (RowForm,), {field_name(f.id): make_field(f) for f in spec.item_fields})
    return FieldList(FormField(row_class), spec.label, min_entries=0, max_entries=spec.max_items, **kwargs)


def form_fields_for(specs: Iterable[Field]) -> dict[str, Any]:
    """The form's fields for these content fields, with an "Add another row" button per list field."""
    attrs: dict[str, Any] = {}
    for spec in specs:
        attrs[field_name(spec.id)] = make_field(spec)
        if spec.kind == "list":
            attrs[f"add_{field_name(spec.id)}"] = SubmitField("Add another row")
    return attrs


def answers_of(specs: Iterable[Field], form: wtforms.Form) -> dict[str, Any]:
    """Plain answers to store, keyed by content ids; blank list rows are dropped."""
    answers: dict[str, Any] = {}
    for spec in specs:
        data = form[field_name(spec.id)].data
        if spec.kind == "list":
            rows = []
            for row in data or []:
                clean = {f.id: row.get(field_name(f.id)) for f in spec.item_fields}
                if not all(blank(v) for v in clean.values()):
                    rows.append(clean)
            answers[spec.id] = rows
        else:
            answers[spec.id] = data if not blank(data) else ([] if spec.kind == "multichoice" else None)
    return answers


def form_data_of(specs: Iterable[Field], answers: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of answers_of, to show saved answers again."""
    data: dict[str, Any] = {}
    for spec in specs:
        value = answers.get(spec.id)
        if spec.kind == "list":
            value = [{field_name(k): v for k, v in row.items()} for row in value or []]
        data[field_name(spec.id)] = value
    return data


def flag(wt_field: WTField, message: str) -> None:
    """Add a message to a field, after any it has."""
    wt_field.errors = [*list(wt_field.errors or []), message]


def missing_in(specs: Iterable[Field], form: wtforms.Form, answers: Mapping[str, Any]) -> bool:
    """Flag each required field left empty (and each list short of rows); True when anything is missing."""
    missing = False
    for spec in specs:
        wt_field = form[field_name(spec.id)]
        value = answers.get(spec.id)
        if spec.kind == "list":
            if len(value or []) < spec.min_items:
                flag(wt_field, f"Please add at least {spec.min_items} to finish this step.")
                missing = True
            for index, row in enumerate(value or []):
                for item in spec.item_fields:
                    if item.required and blank(row.get(item.id)):
                        flag(wt_field, f"Row {index + 1}: please fill in “{item.label}”, or clear the row.")
                        missing = True
        elif spec.required and blank(value):
            choose = spec.kind in ("scale", "choice", "multichoice")
            flag(
                wt_field,
                "Please choose an answer to finish this step."
                if choose
                else "Please fill this in to finish this step.",
            )
            missing = True
    return missing


def free_texts_of(specs: Iterable[Field], answers: Mapping[str, Any]) -> tuple[str, ...]:
    """Every text and longtext answer, in list rows too."""
    found: list[str] = []
    for spec in specs:
        value = answers.get(spec.id)
        if spec.kind in FREE_TEXT_KINDS and isinstance(value, str):
            found.append(value)
        elif spec.kind == "list" and isinstance(value, list):
            for row in value:
                for item in spec.item_fields:
                    cell = row.get(item.id) if isinstance(row, Mapping) else None
                    if item.kind in FREE_TEXT_KINDS and isinstance(cell, str):
                        found.append(cell)
    return tuple(found)


def _shown(spec: Field, value: Any) -> str:
    """One answer as words: a choice by its label, a number as written, nothing as a dash."""
    if blank(value):
        return "–"
    labels = {o.value: o.label for o in spec.options}
    if isinstance(value, list):
        return ", ".join(labels.get(v, str(v)) for v in value)
    return labels.get(value, str(value)) if isinstance(value, str) else str(value)


def reading_of(specs: Iterable[Field], answers: Mapping[str, Any]) -> tuple[Answer, ...]:
    """The answers as a therapist reads them: each field's label and answer, a list field's rows."""
    found: list[Answer] = []
    for spec in specs:
        value = answers.get(spec.id)
        if spec.kind == "list":
            rows = tuple(
                tuple(
                    (item.label, _shown(item, row.get(item.id)))
                    for item in spec.item_fields
                    if isinstance(row, Mapping) and row.get(item.id) is not None
                )
                for row in value or []
            )
            found.append(Answer(spec.label, rows=rows))
        else:
            found.append(Answer(spec.label, _shown(spec, value), own_words=spec.kind in FREE_TEXT_KINDS))
    return tuple(found)


def example_answer(spec: Field) -> Any:
    """A plausible answer to a field (demo patients, and tests that fill every step)."""
    if spec.kind in FREE_TEXT_KINDS:
        return "When I am tired or worried, my back speaks up more."[: spec.max_length]
    if spec.kind == "scale":
        return (spec.min + spec.max) // 2
    if spec.kind == "choice":
        return spec.options[0].value
    if spec.kind == "multichoice":
        return [spec.options[0].value]
    rows = max(1, spec.min_items)
    return [{item.id: example_answer(item) for item in spec.item_fields} for _ in range(rows)]
