"""How Flask-Login finds the signed-in user: id plus session version, active accounts only."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm.attributes import set_committed_value

from ..db import get_db
from ..extensions import login_manager
from ..models import User

# Built once per process: every request runs it, and a prebuilt statement skips rebuilding the expression and
# its cache key (cheaper than Session.get, which builds both each time). The enrollment comes in the same
# statement (User.enrollment is joined).
_USER_BY_ID = select(User).where(User.id == bindparam("user_id"))


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    """The user for a session identity 'id:version'; stale versions (password changed) sign out."""
    user_id, _, version = identity.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = get_db().execute(_USER_BY_ID, {"user_id": int(user_id)}).scalar_one_or_none()
    if user is None or not user.active or user.session_version != int(version):
        return None
    if user.enrollment is not None:
        # The joined load fills user.enrollment but not the way back; pages read enrollment.patient (for the
        # time zone), which would otherwise go through the lazy loader to find this same object.
        set_committed_value(user.enrollment, "patient", user)
    return user
