"""An index that answers 'this patient's completed steps, grouped by module' without visiting the rows.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 00:30:00
"""

from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        'ix_step_progress_completed',
        'step_progress',
        ['enrollment_id', 'status', 'module_slug', 'step_id', 'completed_at'],
    )


def downgrade() -> None:
    op.drop_index('ix_step_progress_completed', table_name='step_progress')
