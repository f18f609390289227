"""Words kept from ended sessions for any form, and forms' one-time keys.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pending_submissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_submissions_user_hint"), ["user_hint"], unique=False)
        batch_op.create_index(batch_op.f("ix_pending_submissions_created_at"), ["created_at"], unique=False)
    op.create_table(
        "submission_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("location", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_submission_keys_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_keys")),
        sa.UniqueConstraint("user_id", "key", name=op.f("uq_submission_keys_user_id")),
    )
    with op.batch_alter_table("submission_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submission_keys_created_at"), ["created_at"], unique=False)
    # Journal text kept by the previous release, in the form it came from, so the new release offers it back.
    pending = sa.table(
        "pending_submissions", sa.column("id", sa.Integer()), sa.column("kind", sa.String()), sa.column("data", sa.JSON())
    )
    connection = op.get_bind()
    for row_id, kind, data in connection.execute(sa.select(pending.c.id, pending.c.kind, pending.c.data)).all():
        data = data or {}
        if kind == "journal-edit":
            page = f"/journal/{int(data.get('entry_id', 0))}/edit"
            fields = [["text", data.get("text", "")], ["revision", str(data.get("revision", "0"))]]
        else:
            page, fields = "/journal/new", [["text", data.get("text", "")]]
        connection.execute(
            pending.update().where(pending.c.id == row_id).values(kind="form", data={"page": page, "fields": fields})
        )


def downgrade() -> None:
    with op.batch_alter_table("submission_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_keys_created_at"))
    op.drop_table("submission_keys")
    with op.batch_alter_table("pending_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_submissions_created_at"))
        batch_op.drop_index(batch_op.f("ix_pending_submissions_user_hint"))
