"""session horizon (when a session's trust ends, whether estimated, when it was announced)
and incremental results (whether a data type's result holds only changes, since when)

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("date_expires", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("expires_estimated", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("date_expiring_sent", sa.DateTime(), nullable=True))
        batch.create_index("ix_sessions_date_expires", ["date_expires"], unique=False)
    with op.batch_alter_table("results") as batch:
        batch.add_column(sa.Column("incremental", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("changes_since", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # Dropping a column rebuilds the table on SQLite; with foreign keys on, dropping the
    # old sessions table would cascade-delete every poll and task (as in 0004 and 0006).
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table("results") as batch:
        batch.drop_column("changes_since")
        batch.drop_column("incremental")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_index("ix_sessions_date_expires")
        batch.drop_column("date_expiring_sent")
        batch.drop_column("expires_estimated")
        batch.drop_column("date_expires")
    if sqlite:
        op.execute("PRAGMA foreign_keys=ON")
