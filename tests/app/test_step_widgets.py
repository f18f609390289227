"""The step player's faster widgets write exactly the HTML WTForms' own widgets write."""

from __future__ import annotations

from typing import Any

import wtforms
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import Form, widgets
from wtforms.validators import InputRequired, Length

from course.forms import choices
from course.steps import widgets as fast
from course.steps.fields import MultiCheckboxField, RadioField, StringField, SubmitField, TextAreaField
from course.steps.widgets import html_params

KEYS = st.sampled_from(
    ["class_", "id", "name", "value", "rows", "for_", "data_draft_key", "aria_describedby", "aria-invalid"]
)
TRICKY = st.sampled_from(['"', "'", "<", ">", "&", "&quot;", "\r\n", "é", " "])
TEXT = st.lists(st.one_of(TRICKY, st.text(max_size=5)), max_size=6).map("".join)
VALUES = st.one_of(st.booleans(), st.integers(), TEXT, TEXT.map(Markup), st.none())


@given(st.dictionaries(KEYS, VALUES, max_size=6))
def test_html_params_any_attributes_same_as_wtforms(attributes: dict[str, Any]) -> None:
    assert html_params(**attributes) == widgets.html_params(**attributes)


class Ours(Form):
    line = StringField("Line", validators=[InputRequired(), Length(max=20)])
    box = TextAreaField("Box", validators=[InputRequired()])
    pick = RadioField("Pick", choices=choices([("a", "A <b>"), ("b", 'B "quoted"')]))
    many = MultiCheckboxField("Many", choices=choices([("x", "X"), ("y", "Y & Z")]))
    go = SubmitField("Save & continue")


class Theirs(Form):
    line = wtforms.StringField("Line", validators=[InputRequired(), Length(max=20)])
    box = wtforms.TextAreaField("Box", validators=[InputRequired()])
    pick = wtforms.RadioField("Pick", choices=choices([("a", "A <b>"), ("b", 'B "quoted"')]))
    many = wtforms.SelectMultipleField(
        "Many",
        choices=choices([("x", "X"), ("y", "Y & Z")]),
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )
    go = wtforms.SubmitField("Save & continue")


def rendered(form: Form) -> list[str]:
    extra = {"aria-invalid": "true", "aria_describedby": "x-hint x-error", "rows": 5, "class_": 'a "b"'}
    out = []
    for name in ("line", "box", "go"):
        out += [str(form[name]()), str(form[name](**extra))]
    for name in ("pick", "many"):
        out += [str(option(**extra)) for option in form[name]] + [str(option()) for option in form[name]]
    return out


def test_step_fields_render_the_same_html_as_wtforms_blank_and_filled() -> None:
    assert rendered(Ours()) == rendered(Theirs())
    filled = MultiDict(
        [
            ("line", 'He said "stop" <now>'),
            ("box", "Two\nlines & <tags>"),
            ("pick", "b"),
            ("many", "x"),
            ("many", "y"),
            ("go", "y"),
        ]
    )
    ours, theirs = Ours(formdata=filled), Theirs(formdata=filled)
    assert ours.validate() == theirs.validate()
    assert rendered(ours) == rendered(theirs)


def test_step_fields_use_the_fast_widgets_and_keep_wtforms_type_names() -> None:
    form = Ours()
    assert isinstance(form.line.widget, fast.FastTextInput)
    assert isinstance(form.box.widget, fast.FastTextArea)
    assert isinstance(form.go.widget, fast.FastSubmitInput)
    assert all(isinstance(option.widget, fast.FastRadioInput) for option in form.pick)
    assert all(isinstance(option.widget, fast.FastCheckboxInput) for option in form.many)
    # The form macros choose the markup by field.type.
    assert [form[n].type for n in ("line", "box", "pick", "go")] == [
        "StringField",
        "TextAreaField",
        "RadioField",
        "SubmitField",
    ]
