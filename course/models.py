"""Tables. Rules live in services; here are the columns, constraints and relationships."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from .clock import system_now
from .db import Base


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: a VARCHAR with a CHECK constraint, storing the member's value."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Role(enum.StrEnum):
    """What an account may do."""

    PATIENT = "patient"
    THERAPIST = "therapist"
    ADMIN = "admin"


class User(Base):
    """An account: a patient, a therapist or a clinic admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on password change so every other session and remember-me cookie stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=system_now)
    deactivated_at: Mapped[datetime | None] = mapped_column(default=None)

    enrollment: Mapped[Enrollment | None] = relationship(
        back_populates="patient", foreign_keys="Enrollment.patient_id", uselist=False
    )

    @validates("email")
    def _normalise_email(self, _key: str, value: str) -> str:
        return normalise_email(value)

    # Flask-Login's protocol.
    @property
    def is_active(self) -> bool:
        """Deactivated accounts cannot sign in."""
        return self.active

    @property
    def is_authenticated(self) -> bool:
        """Any loaded user is signed in."""
        return True

    @property
    def is_anonymous(self) -> bool:
        """A loaded user is never anonymous."""
        return False

    def get_id(self) -> str:
        """The session identity: id and session version, so a password change signs out elsewhere."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_patient(self) -> bool:
        """True for patients."""
        return self.role == Role.PATIENT

    @property
    def is_therapist(self) -> bool:
        """True for therapists."""
        return self.role == Role.THERAPIST

    @property
    def is_admin(self) -> bool:
        """True for clinic admins."""
        return self.role == Role.ADMIN


def normalise_email(value: str) -> str:
    """Emails are compared without case or surrounding spaces."""
    return value.strip().lower()


class Invite(Base):
    """A one-time enrollment link a therapist hands to a patient. Only a hash of the token is stored."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    patient_name: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=system_now)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    therapist: Mapped[User] = relationship(foreign_keys=[therapist_id])
    patient: Mapped[User | None] = relationship(foreign_keys=[patient_id])


class Enrollment(Base):
    """A patient's place in the program, with their therapist and start."""

    __tablename__ = "enrollments"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=system_now)
    accepted_terms_at: Mapped[datetime]
    # A cache of the latest pause/resume override, for listing; the pacing policy reads the overrides.
    paused: Mapped[bool] = mapped_column(Boolean, default=False)

    patient: Mapped[User] = relationship(back_populates="enrollment", foreign_keys=[patient_id])
    therapist: Mapped[User] = relationship(foreign_keys=[therapist_id])
    overrides: Mapped[list[ProgramOverride]] = relationship(
        back_populates="enrollment", cascade="all, delete-orphan", order_by="ProgramOverride.at"
    )
    progress: Mapped[list[StepProgress]] = relationship(
        back_populates="enrollment", cascade="all, delete-orphan"
    )


class OverrideKind(enum.StrEnum):
    """A therapist's change to the pacing of one patient."""

    UNLOCK_NEXT = "unlock_next"
    PAUSE = "pause"
    RESUME = "resume"


class ProgramOverride(Base):
    """Who changed a patient's pacing, when, how and why."""

    __tablename__ = "program_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    kind: Mapped[OverrideKind] = mapped_column(_enum(OverrideKind, "override_kind"))
    at: Mapped[datetime]
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(500))

    enrollment: Mapped[Enrollment] = relationship(back_populates="overrides")
    by: Mapped[User | None] = relationship()


class StepStatus(enum.StrEnum):
    """Where a patient is with one step."""

    STARTED = "started"
    COMPLETE = "complete"


class StepProgress(Base):
    """A patient's answers and status for one step, keyed by module slug and step id (never by position)."""

    __tablename__ = "step_progress"
    __table_args__ = (UniqueConstraint("enrollment_id", "module_slug", "step_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    module_slug: Mapped[str] = mapped_column(String(64))
    step_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[StepStatus] = mapped_column(_enum(StepStatus, "step_status"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(default=system_now)
    updated_at: Mapped[datetime] = mapped_column(default=system_now)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)

    enrollment: Mapped[Enrollment] = relationship(back_populates="progress")


class JournalEntry(Base):
    """A reflection the patient wrote, freely or in answer to a module's prompt."""

    __tablename__ = "journal_entries"
    __table_args__ = (CheckConstraint("length(text) <= 50000", name="text_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    module_slug: Mapped[str | None] = mapped_column(String(64))
    step_id: Mapped[str | None] = mapped_column(String(64))
    prompt: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=system_now)
    updated_at: Mapped[datetime] = mapped_column(default=system_now)

    patient: Mapped[User] = relationship()
