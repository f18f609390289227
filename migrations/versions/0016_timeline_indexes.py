"""Indexes that answer "this patient's newest events of one kind in a time window" for the therapist's
timeline (course/clinic/history.py), so a page of it costs the same however long the patient's history.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 20:30:00
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_checkins_timeline", "checkins", ["patient_id", "created_at"]),
    ("ix_journal_entries_timeline", "journal_entries", ["patient_id", "shared_at"]),
    ("ix_alerts_timeline", "alerts", ["enrollment_id", "created_at"]),
    ("ix_clinical_notes_timeline", "clinical_notes", ["enrollment_id", "created_at"]),
    ("ix_measure_responses_timeline", "measure_responses", ["enrollment_id", "completed_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
