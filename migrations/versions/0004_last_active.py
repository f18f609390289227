"""Keep each enrollment's last activity, so the caseload need not scan every table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 13:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_active_at", sa.DateTime(), nullable=True))
    # Fill it from what patients did before this release.
    op.execute(
        """
        UPDATE enrollments SET last_active_at = (
            SELECT max(at) FROM (
                SELECT updated_at AS at FROM step_progress WHERE step_progress.enrollment_id = enrollments.id
                UNION ALL SELECT updated_at FROM checkins WHERE checkins.patient_id = enrollments.patient_id
                UNION ALL SELECT updated_at FROM journal_entries
                    WHERE journal_entries.patient_id = enrollments.patient_id
                UNION ALL SELECT completed_at FROM measure_responses
                    WHERE measure_responses.enrollment_id = enrollments.id
            ) AS activity
        )
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.drop_column("last_active_at")
