"""Practice any day: somatic tracking logs, "try it" experiments (predict, do, compare), reappraisals, and
the boosters' answers after the program.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-03 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "practice_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("tool", sa.String(length=40), nullable=False),
        sa.Column("script_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("fear_before", sa.Integer(), nullable=True),
        sa.Column("fear_after", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("fear_before BETWEEN 0 AND 10", name=op.f("ck_practice_logs_fear_before_range")),
        sa.CheckConstraint("fear_after BETWEEN 0 AND 10", name=op.f("ck_practice_logs_fear_after_range")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["users.id"], name=op.f("fk_practice_logs_patient_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_logs")),
    )
    with op.batch_alter_table("practice_logs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_practice_logs_patient_id"), ["patient_id"], unique=False)
    op.create_table(
        "try_its",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("pacing", sa.Boolean(), nullable=False),
        sa.Column("activity", sa.Text(), nullable=False),
        sa.Column("prediction", sa.Text(), nullable=False),
        sa.Column("predicted", sa.Integer(), nullable=False),
        sa.Column("sure", sa.Integer(), nullable=True),
        sa.Column("plan", sa.Text(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("actual", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("compared_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("predicted BETWEEN 0 AND 10", name=op.f("ck_try_its_predicted_range")),
        sa.CheckConstraint("sure BETWEEN 0 AND 100", name=op.f("ck_try_its_sure_range")),
        sa.CheckConstraint("actual BETWEEN 0 AND 10", name=op.f("ck_try_its_actual_range")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["users.id"], name=op.f("fk_try_its_patient_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_try_its")),
    )
    with op.batch_alter_table("try_its", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_try_its_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "reappraisals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("thought", sa.Text(), nullable=False),
        sa.Column("belief_before", sa.Integer(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("belief_after", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "belief_before BETWEEN 0 AND 100", name=op.f("ck_reappraisals_belief_before_range")
        ),
        sa.CheckConstraint("belief_after BETWEEN 0 AND 100", name=op.f("ck_reappraisals_belief_after_range")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["users.id"], name=op.f("fk_reappraisals_patient_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reappraisals")),
    )
    with op.batch_alter_table("reappraisals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reappraisals_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "booster_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("booster_id", sa.String(length=40), nullable=False),
        sa.Column("what_helped", sa.Text(), nullable=False),
        sa.Column("practise", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["users.id"], name=op.f("fk_booster_answers_patient_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booster_answers")),
    )
    with op.batch_alter_table("booster_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_booster_answers_patient_id"), ["patient_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("booster_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booster_answers_patient_id"))
    op.drop_table("booster_answers")
    with op.batch_alter_table("reappraisals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reappraisals_patient_id"))
    op.drop_table("reappraisals")
    with op.batch_alter_table("try_its", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_try_its_patient_id"))
    op.drop_table("try_its")
    with op.batch_alter_table("practice_logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_logs_patient_id"))
    op.drop_table("practice_logs")
