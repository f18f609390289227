"""Who may see what. Every view asks here; nothing else decides access."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Enrollment, Role, User

F = TypeVar("F", bound=Callable[..., Any])


def role_required(*roles: Role) -> Callable[[F], F]:
    """Signed-in users of these roles only; others get 403, anonymous users the sign-in page."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


def therapist_may_see(therapist: User, enrollment: Enrollment | None) -> bool:
    """A therapist sees only the patients enrolled with them."""
    return enrollment is not None and therapist.is_therapist and enrollment.therapist_id == therapist.id


def enrollment_for_therapist(db: Session, therapist: User, patient_id: int) -> Enrollment:
    """The enrollment of one of the therapist's own patients; 404 for anyone else's (never a hint)."""
    enrollment = db.scalar(select(Enrollment).where(Enrollment.patient_id == patient_id))
    if enrollment is None or not therapist_may_see(therapist, enrollment):
        abort(404)
    return enrollment


def current_enrollment() -> Enrollment:
    """The signed-in patient's enrollment; 404 when there is none (an account without enrollment)."""
    enrollment: Enrollment | None = getattr(current_user, "enrollment", None)
    if enrollment is None:
        abort(404)
    return enrollment
