"""publishing: event delivery attempts, result storage config, subscription schedule

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("attempts", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("storage_config_id", sa.String(length=36), nullable=True))
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("date_next_poll", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("date_last_poll", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_column("date_last_poll")
        batch_op.drop_column("date_next_poll")
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.drop_column("storage_config_id")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("attempts")
