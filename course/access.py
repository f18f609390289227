"""Who may see what. Every view asks here; nothing else decides access."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort
from flask_login import current_user, login_required

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


def current_enrollment() -> Enrollment:
    """The signed-in patient's enrollment; 404 when there is none (an account without enrollment)."""
    enrollment: Enrollment | None = getattr(current_user, "enrollment", None)
    if enrollment is None:
        abort(404)
    return enrollment
