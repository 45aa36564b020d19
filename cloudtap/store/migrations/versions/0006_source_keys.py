"""sources remember the key that created them (permission limits of level ``key``)

Sources made before this migration are credited to the key that created their user, the
best record there is of who made them.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_id", sa.String(length=36), nullable=True))
    op.execute(
        "UPDATE sources SET key_id ="
        " (SELECT users.key_id FROM users WHERE users.id = sources.user_id)"
    )


def downgrade() -> None:
    # Dropping a column rebuilds the table on SQLite; with foreign keys on, dropping the
    # old sources table would cascade-delete every session, poll and task (as in 0004).
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("key_id")
    if sqlite:
        op.execute("PRAGMA foreign_keys=ON")
