"""The therapist's reply to a patient's feedback moment: read the answers, write back (audited)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import clock, extensions
from ..access import enrollment_for_therapist, role_required
from ..audit import record
from ..content.model import Catalog
from ..db import get_db
from ..feedback import FeedbackError, feedback_page, feedback_request, reply_to
from ..models import Role
from .blueprint import bp
from .forms import FeedbackReplyForm
from .history import HistoryRow


class FeedbackItem(NamedTuple):
    """A feedback moment on the patient page: waiting for the reply (since when, and when what it holds
    opens without one), or replied."""

    request_id: int
    title: str
    week: int
    asked_at: datetime
    opens_at: datetime
    replied_at: datetime | None


def feedback_items(history: list[HistoryRow], catalog: Catalog) -> list[FeedbackItem]:
    """The patient's feedback moments from their history rows (no statement of its own): those waiting for
    a reply first, oldest first, then the replied ones, newest first."""
    titles = {(m.slug, s.id): (m.week, s.title) for m in catalog.modules for s in m.steps}
    replied = {row.id: row.at for row in history if row.kind == "replied"}
    items = []
    for row in history:
        if row.kind != "feedback":
            continue
        week, title = titles.get((str(row.key), str(row.detail)), (0, str(row.detail)))
        opens_at = row.at + timedelta(days=catalog.feedback_days)
        items.append(FeedbackItem(row.id, title, week, row.at, opens_at, replied.get(row.id)))
    waiting = sorted((i for i in items if i.replied_at is None), key=lambda i: (i.asked_at, i.request_id))
    answered = sorted((i for i in items if i.replied_at is not None), key=lambda i: i.asked_at, reverse=True)
    return waiting + answered


@bp.route("/patients/<int:patient_id>/feedback/<int:request_id>", methods=["GET", "POST"])
@role_required(Role.THERAPIST)
def feedback(patient_id: int, request_id: int) -> Response | tuple[str, int] | str:
    """A patient's answers to a feedback moment, in the step's own reading, and the reply form."""
    db = get_db()
    now = clock.now()
    enrollment = enrollment_for_therapist(db, current_user, patient_id)
    request = feedback_request(db, enrollment, request_id)
    if request is None:
        abort(404)
    form = FeedbackReplyForm(data={"text": request.reply or ""})
    status = 200
    if form.validate_on_submit():
        try:
            reply_to(db, request, current_user, form.text.data or "", now)
        except FeedbackError as exc:
            form.text.errors = [str(exc)]
            status = 422
        else:
            record(db, current_user, patient_id, "reply_feedback", now=now, feedback_id=request.id)
            flash("Your reply is sent. The patient sees it now, and what was waiting is open.", "success")
            return redirect(url_for(".patient", patient_id=patient_id))
    elif form.is_submitted():
        status = 422
    page = render_template(
        "clinic/feedback.html",
        enrollment=enrollment,
        page=feedback_page(db, extensions.catalog(), request),
        form=form,
        days=extensions.catalog().feedback_days,
    )
    record(db, current_user, patient_id, "read_feedback", now=now, feedback_id=request.id)
    return page, status
