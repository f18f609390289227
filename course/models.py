"""Tables. Rules live in services; here are the columns, constraints and relationships."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from .clock import system_now
from .schema import Base


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
    # SQLite would otherwise give a deleted account's id to the next one (the highest id plus one), and the
    # audit trail and the deletion log, which keep ids, would name the new person (migration 0012).
    __table_args__ = ({"sqlite_autoincrement": True},)

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
    # A patient's request to delete all their data; an admin completes it after a grace period.
    deletion_requested_at: Mapped[datetime | None] = mapped_column(default=None)
    # An authenticator app's shared secret (base32), and the last time step a code was accepted for, so a
    # code is never accepted twice. Staff must have a second factor; patients may.
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, default=None)
    # Messages waiting for this person to read them: kept here, so the header's count comes with the user's
    # own row (course/conversations.py recounts it whenever a message is sent, read, moved or erased).
    unread_messages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # Joined: nearly every patient page needs the enrollment, so it comes with the user in one query.
    enrollment: Mapped[Enrollment | None] = relationship(
        back_populates="patient", foreign_keys="Enrollment.patient_id", uselist=False, lazy="joined"
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
    # When the inviting therapist recorded the clinical assessment; the enrollment takes it on joining.
    assessed_at: Mapped[datetime | None] = mapped_column(default=None)

    therapist: Mapped[User] = relationship(foreign_keys=[therapist_id])
    patient: Mapped[User | None] = relationship(foreign_keys=[patient_id])


class PendingJoin(Base):
    """A patient's sign-up through an invite, waiting for them to confirm their email. The page answers the
    same whether or not the email already has an account; the email says which."""

    __tablename__ = "pending_joins"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invite_id: Mapped[int] = mapped_column(ForeignKey("invites.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=system_now, index=True)


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
    # Safety screening before week 1: None until answered.
    screened_at: Mapped[datetime | None] = mapped_column(default=None)
    red_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    pem: Mapped[bool | None] = mapped_column(Boolean, default=None)
    cleared_at: Mapped[datetime | None] = mapped_column(default=None)
    cleared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A clinician assessed the pain as long-lasting, without a cause that needs other treatment: week 1
    # opens only once the therapist has recorded it (at the invite, or on the patient's page).
    assessed_at: Mapped[datetime | None] = mapped_column(default=None)
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The patient's latest step, check-in, journal save or questionnaire: kept here so the caseload does not
    # scan every table for it (see course.activity.touch).
    last_active_at: Mapped[datetime | None] = mapped_column(default=None)
    # How often the therapist reviews this patient, in days (weekly unless they choose otherwise), and when
    # they last did: the caseload says "Review due" from these (course/triage.py).
    review_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)

    patient: Mapped[User] = relationship(back_populates="enrollment", foreign_keys=[patient_id])
    therapist: Mapped[User] = relationship(foreign_keys=[therapist_id])
    overrides: Mapped[list[ProgramOverride]] = relationship(
        back_populates="enrollment", cascade="all, delete-orphan", order_by="ProgramOverride.at"
    )
    progress: Mapped[list[StepProgress]] = relationship(
        back_populates="enrollment", cascade="all, delete-orphan"
    )


class Message(Base):
    """One message in the conversation between a patient and their therapist (one conversation per
    enrollment, so it follows the patient to a new therapist). Plain text; `read_at` is the read receipt."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint("length(text) <= 5000", name="text_length"),
        Index("ix_messages_enrollment_created", "enrollment_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    # Written by the patient, or by a therapist (`sender_id` says which; None once that account is gone).
    from_patient: Mapped[bool] = mapped_column(Boolean)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=system_now)
    # When the person it was written to said they read it (a POST: opening a page changes nothing).
    read_at: Mapped[datetime | None] = mapped_column(default=None)

    sender: Mapped[User | None] = relationship()


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
    __table_args__ = (
        UniqueConstraint("enrollment_id", "module_slug", "step_id"),
        # Every patient page reads a patient's completed steps grouped by module: this answers it from the
        # index alone, without visiting each row.
        Index(
            "ix_step_progress_completed", "enrollment_id", "status", "module_slug", "step_id", "completed_at"
        ),
    )

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
    """A reflection the patient wrote, freely or in answer to a module's prompt. Private unless shared."""

    __tablename__ = "journal_entries"
    __table_args__ = (
        CheckConstraint("length(text) <= 50000", name="text_length"),
        UniqueConstraint("patient_id", "idempotency_key", name="uq_journal_entries_idempotency"),
        Index("ix_journal_entries_timeline", "patient_id", "shared_at"),  # as for check-ins
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    module_slug: Mapped[str | None] = mapped_column(String(64))
    step_id: Mapped[str | None] = mapped_column(String(64))
    prompt: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    shared_at: Mapped[datetime | None] = mapped_column(default=None)
    # When the therapist last read it; a shared entry changed or shared after this counts as unread.
    therapist_read_at: Mapped[datetime | None] = mapped_column(default=None)
    # Bumped on every save, so a save based on an older version is caught instead of overwriting.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # One per form shown, so a double submit creates one entry.
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=system_now)
    updated_at: Mapped[datetime] = mapped_column(default=system_now)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)

    patient: Mapped[User] = relationship()
    revisions: Mapped[list[JournalRevision]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="JournalRevision.number"
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="Comment.created_at"
    )


class JournalRevision(Base):
    """An earlier text of a journal entry, kept on every save."""

    __tablename__ = "journal_revisions"
    __table_args__ = (UniqueConstraint("entry_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=system_now)

    entry: Mapped[JournalEntry] = relationship(back_populates="revisions")


class Comment(Base):
    """A therapist's reply to a shared journal entry, shown to the patient beside it."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=system_now)

    entry: Mapped[JournalEntry] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship()


class PendingSubmission(Base):
    """A form posted after its person's session ended, kept until they sign in again and save it
    (course/keeping.py). Health data: it expires, `flask purge` removes it, deletion removes it."""

    __tablename__ = "pending_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The account the ended session belonged to: only that account is ever shown the words.
    user_hint: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(default=system_now, index=True)


class SubmissionKey(Base):
    """A form's one-time key, claimed when it was saved: the same submission again saves nothing."""

    __tablename__ = "submission_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    # Where the first submission went, to send the second one there too.
    location: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(default=system_now, index=True)


class CheckIn(Base):
    """A patient's daily check-in, one per local day."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("patient_id", "day"),
        # The therapist's timeline reads a patient's newest check-ins in a time window (clinic/history.py).
        Index("ix_checkins_timeline", "patient_id", "created_at"),
        CheckConstraint("pain BETWEEN 0 AND 10", name="pain_range"),
        CheckConstraint("sleep_hours BETWEEN 0 AND 16", name="sleep_hours_range"),
        CheckConstraint("sleep_quality BETWEEN 0 AND 10", name="sleep_quality_range"),
        CheckConstraint("stress BETWEEN 0 AND 10", name="stress_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    pain: Mapped[int] = mapped_column(Integer)
    sleep_hours: Mapped[float | None] = mapped_column(Float)
    sleep_quality: Mapped[int | None] = mapped_column(Integer)
    stress: Mapped[int | None] = mapped_column(Integer)
    mood: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=system_now)
    updated_at: Mapped[datetime] = mapped_column(default=system_now)

    habits: Mapped[list[HabitLog]] = relationship(back_populates="checkin", cascade="all, delete-orphan")


class HabitAdoption(Base):
    """A habit from the program that the patient chose to practise (and may drop again)."""

    __tablename__ = "habit_adoptions"
    __table_args__ = (UniqueConstraint("patient_id", "habit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    habit_id: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    adopted_at: Mapped[datetime] = mapped_column(default=system_now)
    dropped_at: Mapped[datetime | None] = mapped_column(default=None)


class HabitLog(Base):
    """A habit practised on the day of a check-in."""

    __tablename__ = "habit_logs"
    __table_args__ = (UniqueConstraint("checkin_id", "habit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"))
    habit_id: Mapped[str] = mapped_column(String(64))

    checkin: Mapped[CheckIn] = relationship(back_populates="habits")


class AlertState(enum.StrEnum):
    """Open until a therapist acknowledges it."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"


class Alert(Base):
    """Something a therapist should know about a patient: safety, inactivity, worsening, red flags."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_timeline", "enrollment_id", "created_at"),)  # as for check-ins

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    severity: Mapped[int] = mapped_column(Integer)  # 0 is the most serious
    created_at: Mapped[datetime] = mapped_column(default=system_now)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[AlertState] = mapped_column(_enum(AlertState, "alert_state"), default=AlertState.OPEN)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    note: Mapped[str | None] = mapped_column(Text)

    enrollment: Mapped[Enrollment] = relationship()
    acknowledged_by: Mapped[User | None] = relationship()


class ClinicalNote(Base):
    """A therapist's private note about a patient (never shown to the patient)."""

    __tablename__ = "clinical_notes"
    __table_args__ = (Index("ix_clinical_notes_timeline", "enrollment_id", "created_at"),)  # as for check-ins

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=system_now)

    author: Mapped[User | None] = relationship()


class MeasureResponse(Base):
    """A patient's answers to one questionnaire for one due date; scored only when complete."""

    __tablename__ = "measure_responses"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "measure_id", "due_key"),
        Index("ix_measure_responses_timeline", "enrollment_id", "completed_at"),  # as for check-ins
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    measure_id: Mapped[str] = mapped_column(String(64))
    due_key: Mapped[str] = mapped_column(String(40))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=system_now)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


class AuditEvent(Base):
    """Who saw or changed what about which patient, and when. Append-only (course/audit.py refuses updates
    and deletes); the ids are plain values, not foreign keys, so deleting a person keeps the trail."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=system_now, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    patient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    # Read-only views of the people, while they exist.
    actor: Mapped[User | None] = relationship(
        primaryjoin="foreign(AuditEvent.actor_id) == User.id", viewonly=True
    )
    patient: Mapped[User | None] = relationship(
        primaryjoin="foreign(AuditEvent.patient_id) == User.id", viewonly=True
    )


class SignIn(Base):
    """One signed-in browser: what makes its session cookie valid. Signing out, idle sign-out, a password
    change or a deactivation deletes it, and a cookie whose sign-in is gone is refused."""

    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the random token the session cookie carries.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    device: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=system_now)
    last_seen_at: Mapped[datetime] = mapped_column(default=system_now)
    # The absolute end, whatever the activity: staff 12 hours, patients a configured number of days.
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Passkey(Base):
    """A WebAuthn credential (a passkey) a person registered as their second factor."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1024), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(2048))
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(100), default="Passkey")
    created_at: Mapped[datetime] = mapped_column(default=system_now)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)


class RecoveryCode(Base):
    """One of ten single-use codes for signing in without the second factor; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class SentMessage(Base):
    """One message that was sent (or is being sent): the unique key makes every message go out once."""

    __tablename__ = "sent_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The patient a message to someone else was about (a safety alert): it goes with the patient's deletion.
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, default=None
    )
    kind: Mapped[str] = mapped_column(String(40))
    sent_at: Mapped[datetime] = mapped_column(default=system_now)


class NotificationOptOut(Base):
    """A kind of message a person chose not to receive."""

    __tablename__ = "notification_opt_outs"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=system_now)


class Notification(Base):
    """An in-app notification: for therapists the emailed digest and safety alerts, for admins safety alerts
    that have no active therapist, for patients a change of therapist."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The patient it is about, when it is about one: it goes with the patient's deletion.
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, default=None
    )
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=system_now)
    read_at: Mapped[datetime | None] = mapped_column(default=None)


class DeletionLogEntry(Base):
    """A patient's completed deletion, as ids and dates only: `flask restore` erases the account again when a
    restored backup brings it back (the account's creation time tells it from a later account given the same
    id). Nothing here names the person."""

    __tablename__ = "deletion_log"
    __table_args__ = (UniqueConstraint("user_id", "account_created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)  # a plain value: the account it named is gone
    account_created_at: Mapped[datetime]
    requested_at: Mapped[datetime | None] = mapped_column(default=None)
    deleted_at: Mapped[datetime]


class CaseloadEntry(Base):
    """One caseload row as the triage computed it: derived data, kept so the caseload sorts and pages in SQL.

    Any write to what a row is built from marks it stale (course/clinic/summary.py listens to every flush);
    `fresh_until` is the first moment the row could change by the passing of time alone (the patient's next
    local midnight, or the next whole day since the last activity, step or module opening). `version` grows
    with every invalidation, so a refresh that read older data does not overwrite a newer invalidation.
    """

    __tablename__ = "caseload_entries"
    # A page of the caseload is read straight off this index, most in need first.
    __table_args__ = (
        Index("ix_caseload_entries_order", "therapist_id", "rank", "order_key", "enrollment_id"),
    )

    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), primary_key=True
    )
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The therapist when the row was computed; the caseload also checks the enrollment's therapist.
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime | None] = mapped_column(default=None)
    fresh_until: Mapped[datetime | None] = mapped_column(default=None)  # None: stale
    content_key: Mapped[str] = mapped_column(String(64), default="")
    rank: Mapped[int] = mapped_column(Integer, default=0)
    sort_name: Mapped[str] = mapped_column(String(200), default="")  # the name casefolded, for search
    # The name casefolded, then as written: byte order (collation "C" on PostgreSQL) is Python's order.
    order_key: Mapped[str] = mapped_column(
        String(401).with_variant(String(401, collation="C"), "postgresql"), default=""
    )
    week: Mapped[int] = mapped_column(Integer, default=0)
    module_title: Mapped[str] = mapped_column(String(200), default="")
    steps_done: Mapped[int] = mapped_column(Integer, default=0)
    steps_total: Mapped[int] = mapped_column(Integer, default=0)
    checkins_7d: Mapped[int] = mapped_column(Integer, default=0)
    pain_week: Mapped[float | None] = mapped_column(Float, default=None)
    pain_change: Mapped[float | None] = mapped_column(Float, default=None)
    unread: Mapped[int] = mapped_column(Integer, default=0)
    open_alerts: Mapped[int] = mapped_column(Integer, default=0)
    finished: Mapped[bool] = mapped_column(Boolean, default=False)
    inactive: Mapped[bool] = mapped_column(Boolean, default=False)
    signals: Mapped[list[list[Any]]] = mapped_column(JSON, default=list)


class PracticeLog(Base):
    """A practice the patient did on their own, any day: a somatic tracking script, fear before and after."""

    __tablename__ = "practice_logs"
    __table_args__ = (
        CheckConstraint("fear_before BETWEEN 0 AND 10", name="fear_before_range"),
        CheckConstraint("fear_after BETWEEN 0 AND 10", name="fear_after_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tool: Mapped[str] = mapped_column(String(40))
    script_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)  # the patient's local day
    fear_before: Mapped[int | None] = mapped_column(Integer, default=None)
    fear_after: Mapped[int | None] = mapped_column(Integer, default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=system_now)


class TryIt(Base):
    """A feared movement or activity tried as an experiment: the prediction first, then what happened.

    On the pacing path the same row plans an activity within the patient's energy (`pacing`), never more.
    """

    __tablename__ = "try_its"
    __table_args__ = (
        CheckConstraint("predicted BETWEEN 0 AND 10", name="predicted_range"),
        CheckConstraint("sure BETWEEN 0 AND 100", name="sure_range"),
        CheckConstraint("actual BETWEEN 0 AND 10", name="actual_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    pacing: Mapped[bool] = mapped_column(Boolean, default=False)
    activity: Mapped[str] = mapped_column(Text)
    prediction: Mapped[str] = mapped_column(Text)
    predicted: Mapped[int] = mapped_column(Integer)
    sure: Mapped[int | None] = mapped_column(Integer, default=None)
    plan: Mapped[str | None] = mapped_column(Text, default=None)
    outcome: Mapped[str | None] = mapped_column(Text, default=None)
    actual: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(default=system_now)
    compared_at: Mapped[datetime | None] = mapped_column(default=None)


class Reappraisal(Base):
    """A pain thought caught and answered with the patient's own evidence, with how much they believed it."""

    __tablename__ = "reappraisals"
    __table_args__ = (
        CheckConstraint("belief_before BETWEEN 0 AND 100", name="belief_before_range"),
        CheckConstraint("belief_after BETWEEN 0 AND 100", name="belief_after_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    thought: Mapped[str] = mapped_column(Text)
    belief_before: Mapped[int | None] = mapped_column(Integer, default=None)
    answer: Mapped[str] = mapped_column(Text)
    belief_after: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(default=system_now)


class BoosterAnswer(Base):
    """A booster after the program: what helped, and what the patient will keep practising."""

    __tablename__ = "booster_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    booster_id: Mapped[str] = mapped_column(String(40))
    what_helped: Mapped[str] = mapped_column(Text)
    practise: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=system_now)


class FeedbackRequest(Base):
    """A feedback moment the patient finished: their answers wait for the therapist's reply, and what the
    content holds after it opens at the reply or after the clinic's number of days (course/pacing.py)."""

    __tablename__ = "feedback_requests"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "module_slug", "step_id"),
        CheckConstraint("length(reply) <= 20000", name="reply_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    module_slug: Mapped[str] = mapped_column(String(64))
    step_id: Mapped[str] = mapped_column(String(64))
    asked_at: Mapped[datetime] = mapped_column(default=system_now)
    reply: Mapped[str | None] = mapped_column(Text, default=None)
    replied_at: Mapped[datetime | None] = mapped_column(default=None)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    enrollment: Mapped[Enrollment] = relationship()
    replied_by: Mapped[User | None] = relationship()
