"""User ids are never given again on SQLite: the users table is rebuilt with AUTOINCREMENT.

Without it SQLite gives a new row the highest id in the table plus one, so the newest account, once deleted,
hands its id to the next person, and the audit trail and the deletion log (which keep ids as plain values)
would name them. The counter starts above every id the database still mentions: its accounts, the deletion
log and the audit trail. PostgreSQL's sequences never give a number twice: nothing to do there.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    with op.batch_alter_table("users", recreate="always", table_kwargs={"sqlite_autoincrement": True}):
        pass
    highest = bind.execute(
        sa.text(
            "SELECT MAX(n) FROM (SELECT MAX(id) AS n FROM users UNION ALL SELECT MAX(user_id) FROM deletion_log"
            " UNION ALL SELECT MAX(actor_id) FROM audit_events UNION ALL SELECT MAX(patient_id) FROM audit_events)"
        )
    ).scalar()
    if highest:
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'users'"))
        bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('users', :n)"), {"n": highest})


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # Rebuilt from its reflected form, which carries no AUTOINCREMENT.
    with op.batch_alter_table("users", recreate="always"):
        pass
