"""Caseload entries: each patient's triage row, kept so the caseload sorts and pages in SQL.

Every existing enrollment gets a stale row; the first caseload view computes it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 15:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('caseload_entries',
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('therapist_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=True),
    sa.Column('fresh_until', sa.DateTime(), nullable=True),
    sa.Column('content_key', sa.String(length=64), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('sort_name', sa.String(length=200), nullable=False),
    sa.Column('order_key', sa.String(length=401).with_variant(sa.String(length=401, collation='C'), 'postgresql'), nullable=False),
    sa.Column('week', sa.Integer(), nullable=False),
    sa.Column('module_title', sa.String(length=200), nullable=False),
    sa.Column('steps_done', sa.Integer(), nullable=False),
    sa.Column('steps_total', sa.Integer(), nullable=False),
    sa.Column('checkins_7d', sa.Integer(), nullable=False),
    sa.Column('pain_week', sa.Float(), nullable=True),
    sa.Column('pain_change', sa.Float(), nullable=True),
    sa.Column('unread', sa.Integer(), nullable=False),
    sa.Column('open_alerts', sa.Integer(), nullable=False),
    sa.Column('finished', sa.Boolean(), nullable=False),
    sa.Column('inactive', sa.Boolean(), nullable=False),
    sa.Column('signals', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'], name=op.f('fk_caseload_entries_enrollment_id_enrollments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_caseload_entries_patient_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['therapist_id'], ['users.id'], name=op.f('fk_caseload_entries_therapist_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('enrollment_id', name=op.f('pk_caseload_entries'))
    )
    with op.batch_alter_table('caseload_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_caseload_entries_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_caseload_entries_order', ['therapist_id', 'rank', 'order_key', 'enrollment_id'], unique=False)

    op.execute(
        "INSERT INTO caseload_entries (enrollment_id, patient_id, therapist_id, version, content_key, rank,"
        " sort_name, order_key, week, module_title, steps_done, steps_total, checkins_7d, unread, open_alerts,"
        " finished, inactive, signals)"
        " SELECT id, patient_id, therapist_id, 0, '', 0, '', '', 0, '', 0, 0, 0, 0, 0, false, false, '[]'"
        " FROM enrollments"
    )


def downgrade() -> None:
    with op.batch_alter_table('caseload_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_caseload_entries_order')
        batch_op.drop_index(batch_op.f('ix_caseload_entries_patient_id'))

    op.drop_table('caseload_entries')
