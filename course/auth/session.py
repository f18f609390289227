"""How Flask-Login finds the signed-in user: id plus session version, active accounts only."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ..db import get_db
from ..extensions import login_manager
from ..models import Enrollment, User

T = TypeVar("T")


def _columns(mapper: Mapper[Any]) -> tuple[tuple[str, ...], list[Any]]:
    """Each mapped column's attribute name and column, in the mapper's order."""
    props = [prop for prop in mapper.column_attrs if len(prop.columns) == 1]
    return tuple(prop.key for prop in props), [prop.columns[0] for prop in props]


_USER_KEYS, _user_columns = _columns(User.__mapper__)
_ENROLLMENT_KEYS, _enrollment_columns = _columns(Enrollment.__mapper__)
_ACTIVE = _USER_KEYS.index("active")
_SESSION_VERSION = _USER_KEYS.index("session_version")

# Every request runs this, so it is built once per process and read as plain columns: the user and their
# enrollment in one row. Building the two objects from that row costs less than half of letting the ORM load
# them (about 45 of 125 us on the bench machine), which is most of a small page's database time.
_USER_BY_ID: Select[Any] = (
    select(*_user_columns, *_enrollment_columns)
    .outerjoin(Enrollment, Enrollment.patient_id == User.id)
    .where(User.id == bindparam("user_id"))
)


def _attach(db: Session, cls: type[T], keys: tuple[str, ...], values: Any) -> T:
    """A persistent object in `db` made from one row's values, as if the ORM had loaded it."""
    instance = cls.__mapper__.class_manager.new_instance()  # type: ignore[attr-defined]
    instance.__dict__.update(zip(keys, values, strict=True))
    make_transient_to_detached(instance)
    db.add(instance)
    return instance


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    """The user for a session identity 'id:version'; stale versions (password changed) sign out."""
    user_id, _, version = identity.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    db = get_db()
    if db.identity_map:
        # Something was loaded before the user (not the case in a request): let the ORM reconcile it.
        found = db.execute(select(User).where(User.id == int(user_id))).scalar_one_or_none()
        return found if found is not None and found.active and found.session_version == int(version) else None
    row = db.connection().execute(_USER_BY_ID, {"user_id": int(user_id)}).first()
    if row is None:
        return None
    if not row[_ACTIVE] or row[_SESSION_VERSION] != int(version):
        return None
    split = len(_USER_KEYS)
    user = _attach(db, User, _USER_KEYS, row[:split])
    enrollment = None
    if row[split] is not None:
        enrollment = _attach(db, Enrollment, _ENROLLMENT_KEYS, row[split:])
        # Both ways, as a joined load would (pages read enrollment.patient for the time zone).
        set_committed_value(enrollment, "patient", user)
    set_committed_value(user, "enrollment", enrollment)
    return user
