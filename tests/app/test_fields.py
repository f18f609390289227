"""course/fields.py writes the HTML the form macros wrote (tests/fixtures/templates/reference_forms.html keeps
them): fields, buttons and error summaries, for every field of every step of the program, every questionnaire
and every other form, empty and with errors, with each option the templates pass."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cachetools import LRUCache
from flask import Flask
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from course import fields
from course.account.forms import ChangePasswordForm, DeleteRequestForm, TimezoneForm
from course.admin.forms import AuditFilterForm, TherapistForm
from course.assess.forms import ScreeningForm, measure_form_class
from course.auth.forms import JoinForm, LoginForm, ResetPasswordForm, ResetRequestForm
from course.clinic.forms import AcknowledgeForm, InviteForm, NoteForm, OverrideForm
from course.config import PROJECT_ROOT
from course.content.loader import load_catalog
from course.journal.forms import CommentForm, EntryForm, FilterForm
from course.learn.forms import step_form_class
from course.measures import load_definitions
from course.tracking.forms import CheckInForm

REFERENCE = Path(__file__).parent.parent / "fixtures" / "templates" / "reference_forms.html"
FORM_CLASSES = [
    ChangePasswordForm,
    DeleteRequestForm,
    TimezoneForm,
    AuditFilterForm,
    TherapistForm,
    ScreeningForm,
    JoinForm,
    LoginForm,
    ResetPasswordForm,
    ResetRequestForm,
    AcknowledgeForm,
    InviteForm,
    NoteForm,
    OverrideForm,
    CommentForm,
    EntryForm,
    FilterForm,
    CheckInForm,
]
OPTIONS: list[dict[str, Any]] = [
    {},
    {"label": "Another label <b>"},
    {"autocomplete": "new-password"},
    {"rows": 5},
    {"scale_labels": ("No pain", "Worst & imaginable")},
    {"scale_labels": ("Low", None)},
    {"scale_labels": (None, None)},
]


def normalised(html: Any) -> str:
    """Whitespace between tags dropped and runs of it made one space: what a browser shows the same."""
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", str(html))).strip()


def form_classes() -> Iterator[type[FlaskForm]]:
    yield from FORM_CLASSES
    for measure in load_definitions().values():
        yield measure_form_class(measure)
    for module in load_catalog(PROJECT_ROOT / "modules").modules:
        for step in module.steps:
            yield step_form_class(step)


def all_fields(form: FlaskForm) -> Iterator[Any]:
    for f in form:
        if f.type == "FieldList":
            for entry in f.entries:
                yield from entry.form
        else:
            yield f


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "WTF_CSRF_ENABLED": False}


def test_fields_write_what_the_macros_wrote(app: Flask) -> None:
    reference = app.jinja_env.from_string(REFERENCE.read_text()).module
    compared = summaries = 0
    kinds = set()
    with app.test_request_context(method="POST", data={}):
        for cls in form_classes():
            for state in ("empty", "errors", "every field wrong"):
                form = cls(formdata=MultiDict()) if state == "errors" else cls()
                if state == "errors":
                    form.validate()
                if state == "every field wrong":  # with a list field's kind of error, which is not text
                    for f in form:
                        f.errors = ["Not <quite> right & more", ["a row's own error"]]
                for title in ({}, {"title": "Fix <these>"}):
                    expected = reference.error_summary(form, **title)  # type: ignore[attr-defined]
                    assert normalised(fields.error_summary(form, **title)) == normalised(expected)
                    summaries += bool(form.errors)
                for f in all_fields(form):
                    if f.type in ("CSRFTokenField", "HiddenField"):
                        continue
                    if f.type == "SubmitField":
                        for secondary in (False, True):
                            expected = reference.submit(f, secondary=secondary)  # type: ignore[attr-defined]
                            assert normalised(fields.submit(f, secondary)) == normalised(expected)
                        continue
                    # A hint on every other field, so that both places of one are compared.
                    for description in (f.description, "A hint with <markup> & such"):
                        f.description = description
                        for options in OPTIONS:
                            expected = reference.field(f, **options)  # type: ignore[attr-defined]
                            got = fields.field(f, **options)
                            assert normalised(got) == normalised(expected), (cls.__name__, f.name, options)
                            compared += 1
                    kinds.add((f.type, bool(f.errors)))
    assert compared > 1000
    assert summaries > 200
    assert {
        ("RadioField", True),
        ("RadioField", False),
        ("BooleanField", False),
        ("TextAreaField", True),
    } <= kinds
    assert {("StringField", False), ("PasswordField", True), ("SelectField", False)} <= kinds


def test_buttons_are_remembered_by_what_they_are_made_of(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fields, "_SUBMITS", LRUCache(maxsize=2))
    form_class = step_form_class(load_catalog(PROJECT_ROOT / "modules").modules[0].steps[0])
    with app.test_request_context():
        form = form_class()
        first = fields.submit(form.submit)
        assert fields.submit(form_class().submit) is first  # the same button: written once
        assert 'class="button"' in first
        assert 'class="button secondary"' in fields.submit(form.submit, secondary=True)
        # What it is made of changes: written again, never the remembered one.
        relabelled = form_class()
        relabelled.submit.label.text = "Go <on>"
        assert 'value="Go &lt;on&gt;"' in fields.submit(relabelled.submit)
        assert fields.submit(form.submit) == first
        # Extra attributes or validation flags: written each time, with them.
        extra = form_class()
        extra.submit.render_kw = {"formnovalidate": True}
        assert "formnovalidate" in fields.submit(extra.submit)
        flagged = form_class()
        flagged.submit.flags.disabled = True
        assert "disabled" in fields.submit(flagged.submit)
        assert "disabled" not in fields.submit(form.submit)
        assert len(fields._SUBMITS) == 2  # three buttons written: the memory stays at its size
