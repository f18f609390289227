"""The clinician's assessment that a patient's pain fits the program, recorded before week 1 opens.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assessed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("assessed_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_enrollments_assessed_by_id_users"),
            "users",
            ["assessed_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assessed_at", sa.DateTime(), nullable=True))
    # Patients who joined before the app asked are not stopped mid-program: their assessment counts as made
    # at enrollment, by nobody recorded (the therapist's page says so).
    op.execute("UPDATE enrollments SET assessed_at = started_at")


def downgrade() -> None:
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.drop_column("assessed_at")
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_enrollments_assessed_by_id_users"), type_="foreignkey")
        batch_op.drop_column("assessed_by_id")
        batch_op.drop_column("assessed_at")
