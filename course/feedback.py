"""Feedback moments, the therapist's side: the patient's finished feedback steps and the replies to them.

A feedback moment is a step the content marks `feedback:` (docs/CONTENT.md). When the patient finishes it,
`learn.services.save_step` notes a request here (`ask_for_feedback`); the therapist reads the answers, as the
step's kind reads them, and replies; the pacing policy lets what the step holds open at the reply, or after
the clinic's number of days (course/pacing.py). Services take the session, the people and `now`.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from .content.model import Answer, Catalog, Module, Step
from .models import Enrollment, FeedbackRequest, StepProgress, User

MAX_REPLY = 20000


class FeedbackError(ValueError):
    """A reply that cannot be saved, with a message for the therapist."""


class FeedbackPage(NamedTuple):
    """One feedback moment as the therapist reads it: the step, the patient's answers in the kind's own
    reading (None when the step is no longer in the program), and the request with its reply."""

    module: Module | None
    step: Step | None
    answers: tuple[Answer, ...] | None
    request: FeedbackRequest


def feedback_request(db: Session, enrollment: Enrollment, request_id: int) -> FeedbackRequest | None:
    """One of this enrollment's feedback requests, or None (someone else's or none)."""
    found = db.get(FeedbackRequest, request_id)
    return found if found is not None and found.enrollment_id == enrollment.id else None


def feedback_page(db: Session, catalog: Catalog, request: FeedbackRequest) -> FeedbackPage:
    """The step and the patient's answers to it, for the therapist's reply page."""
    module = catalog.module(request.module_slug)
    step = module.step(request.step_id) if module else None
    progress = db.scalar(
        select(StepProgress).where(
            StepProgress.enrollment_id == request.enrollment_id,
            StepProgress.module_slug == request.module_slug,
            StepProgress.step_id == request.step_id,
        )
    )
    answers = step.reading(progress.answers or {}) if step is not None and progress is not None else None
    return FeedbackPage(module, step, answers, request)


def reply_to(db: Session, request: FeedbackRequest, therapist: User, text: str, now: datetime) -> bool:
    """Save the therapist's reply; what the step holds opens for the patient from now. A reply may be
    changed later (the first reply's time stays: the step opened then). True for a first reply."""
    text = text.strip()
    if not text:
        raise FeedbackError("Please write your reply first.")
    if len(text) > MAX_REPLY:
        raise FeedbackError(f"Replies can be up to {MAX_REPLY:,} characters.")
    first = request.replied_at is None
    request.reply = text
    request.replied_by_id = therapist.id
    if first:
        request.replied_at = now
    db.flush()
    return first


def feedback_of(db: Session, enrollment: Enrollment) -> list[FeedbackRequest]:
    """Every feedback request of the patient, oldest first (their export)."""
    return list(
        db.scalars(
            select(FeedbackRequest)
            .where(FeedbackRequest.enrollment_id == enrollment.id)
            .order_by(FeedbackRequest.asked_at, FeedbackRequest.id)
        )
    )
