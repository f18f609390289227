"""Forms for screening and questionnaires."""

from __future__ import annotations

from functools import cache

from wtforms import RadioField, SubmitField
from wtforms.validators import InputRequired

from ..forms import BaseForm, choices
from ..measures import Measure
from ..safety import PEM_QUESTION, RED_FLAGS


def _yes_no(label: str) -> RadioField:
    return RadioField(
        label,
        choices=choices([("no", "No"), ("yes", "Yes")]),
        validators=[InputRequired("Please answer yes or no.")],
    )


class ScreeningForm(BaseForm):
    """Red-flag questions and the post-exertional malaise question, each answered yes or no."""

    pem = RadioField(
        PEM_QUESTION,
        choices=choices([("no", "No"), ("yes", "Yes"), ("unsure", "I'm not sure")]),
        validators=[InputRequired("Please choose an answer.")],
    )
    submit = SubmitField("Continue")


for _flag in RED_FLAGS:
    setattr(ScreeningForm, f"flag_{_flag.id.replace('-', '_')}", _yes_no(_flag.question))


def flag_field(form: BaseForm, flag_id: str) -> RadioField:
    """The form field of one red flag."""
    field: RadioField = form[f"flag_{flag_id.replace('-', '_')}"]
    return field


@cache
def measure_form_class(measure: Measure) -> type[BaseForm]:
    """A form with one radio group per item (cached: definitions never change in a running process)."""
    attrs: dict[str, object] = {}
    for item in measure.items:
        attrs[f"item_{item.id.replace('-', '_')}"] = RadioField(
            item.text,
            choices=choices((o.value, o.label) for o in item.options),
            coerce=lambda v: None if v in (None, "") else int(v),
            validate_choice=False,
        )
    attrs["save"] = SubmitField("Save for later")
    attrs["submit"] = SubmitField("Submit")
    return type(f"MeasureForm_{measure.id.replace('-', '_')}", (BaseForm,), attrs)


def item_field_name(item_id: str) -> str:
    """The form field name of an item."""
    return f"item_{item_id.replace('-', '_')}"
