"""How Flask-Login finds the signed-in user: id plus session version, active accounts only."""

from __future__ import annotations

from ..db import get_db
from ..extensions import login_manager
from ..models import User


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    """The user for a session identity 'id:version'; stale versions (password changed) sign out."""
    user_id, _, version = identity.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = get_db().get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user
