"""job leases: running polls and tasks hold a renewed lease; one result per task

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_LEASED = ("polls", "tasks")


def upgrade() -> None:
    for table in _LEASED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("lease_owner", sa.String(length=32), nullable=True))
            batch_op.add_column(sa.Column("lease_expires", sa.DateTime(), nullable=True))
            batch_op.add_column(
                sa.Column("reclaims", sa.Integer(), nullable=False, server_default="0")
            )
            batch_op.create_index(
                batch_op.f(f"ix_{table}_lease_expires"), ["lease_expires"], unique=False
            )
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_results_task_id"))
        batch_op.create_index(batch_op.f("ix_results_task_id"), ["task_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_results_task_id"))
        batch_op.create_index(batch_op.f("ix_results_task_id"), ["task_id"], unique=False)
    for table in reversed(_LEASED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_lease_expires"))
            batch_op.drop_column("reclaims")
            batch_op.drop_column("lease_expires")
            batch_op.drop_column("lease_owner")
