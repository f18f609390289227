"""How Flask-Login finds the signed-in user: id plus session version, active accounts only, and only while the
sign-in their session cookie names is theirs and has not ended.

The user is loaded by the ORM into the request's session (`get_db`), with their enrollment in the same
statement (the relationship is joined), the same way on SQLite and PostgreSQL: what a page reads of them
(`enrollment.patient`, a relationship it did not load) loads as any ORM object's would.
"""

from __future__ import annotations

from flask import session
from sqlalchemy import and_, bindparam, select

from .. import clock
from ..db import get_db
from ..extensions import login_manager
from ..models import SignIn, User
from ..schema import UTCDateTime
from ..signins import TOKEN_KEY, token_hash

# Every request runs it: built once per process, with bound parameters (SQLAlchemy's compiled cache then
# finds its SQL without building the expression again).
_SIGNED_IN = (
    select(User)
    .join(
        SignIn,
        and_(
            SignIn.user_id == User.id,
            SignIn.token_hash == bindparam("sign_in"),
            SignIn.expires_at > bindparam("now", type_=UTCDateTime),
        ),
    )
    .where(
        User.id == bindparam("user_id"),
        User.session_version == bindparam("version"),
        User.active.is_(True),
    )
)


def _sign_in_hash() -> str:
    """The hash of the sign-in token this request's session cookie carries ("" when none)."""
    token = session.get(TOKEN_KEY)
    return token_hash(token) if isinstance(token, str) else ""


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    """The user for a session identity 'id:version'; stale versions (password changed) sign out."""
    user_id, _, version = identity.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    params = {
        "user_id": int(user_id),
        "version": int(version),
        "sign_in": _sign_in_hash(),
        "now": clock.now(),
    }
    user: User | None = get_db().scalar(_SIGNED_IN, params)
    return user
