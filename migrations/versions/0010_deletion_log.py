"""The deletion log; notifications and sent messages name the patient they are about, to go with them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 10:00:00
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deletion_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("account_created_at", sa.DateTime(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deletion_log")),
        sa.UniqueConstraint("user_id", "account_created_at", name=op.f("uq_deletion_log_user_id")),
    )
    for table in ("notifications", "sent_messages"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("patient_id", sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_{table}_patient_id"), ["patient_id"], unique=False)
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_patient_id_users"), "users", ["patient_id"], ["id"], ondelete="CASCADE"
            )
    # What was written before names its patient only in a link or a key: name it in the column.
    connection = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer()))
    known = {row_id for (row_id,) in connection.execute(sa.select(users.c.id))}
    notifications = sa.table(
        "notifications", sa.column("id", sa.Integer()), sa.column("link", sa.String()), sa.column("patient_id", sa.Integer())
    )
    for row_id, link in connection.execute(sa.select(notifications.c.id, notifications.c.link)).all():
        found = re.search(r"/clinic/patients/(\d+)(?:[/?#]|$)", link or "")
        if found and int(found.group(1)) in known:
            connection.execute(
                notifications.update().where(notifications.c.id == row_id).values(patient_id=int(found.group(1)))
            )
    alerts = sa.table("alerts", sa.column("id", sa.Integer()), sa.column("enrollment_id", sa.Integer()))
    enrollments = sa.table("enrollments", sa.column("id", sa.Integer()), sa.column("patient_id", sa.Integer()))
    patient_of_alert = dict(
        connection.execute(
            sa.select(alerts.c.id, enrollments.c.patient_id).join(enrollments, enrollments.c.id == alerts.c.enrollment_id)
        ).all()
    )
    sent = sa.table(
        "sent_messages", sa.column("id", sa.Integer()), sa.column("key", sa.String()), sa.column("patient_id", sa.Integer())
    )
    for row_id, key in connection.execute(sa.select(sent.c.id, sent.c.key).where(sent.c.key.like("alert:%"))).all():
        found = re.match(r"alert:(\d+)", key)
        patient = patient_of_alert.get(int(found.group(1))) if found else None
        if patient is not None:
            connection.execute(sent.update().where(sent.c.id == row_id).values(patient_id=patient))


def downgrade() -> None:
    for table in ("sent_messages", "notifications"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_patient_id_users"), type_="foreignkey")
            batch_op.drop_index(batch_op.f(f"ix_{table}_patient_id"))
            batch_op.drop_column("patient_id")
    op.drop_table("deletion_log")
