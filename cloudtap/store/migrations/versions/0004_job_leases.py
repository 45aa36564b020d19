"""job leases: running polls and tasks hold a renewed lease; one result per task

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from datetime import UTC, datetime

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
    _lapse_orphaned_jobs()


def _lapse_orphaned_jobs() -> None:
    """Jobs left ``processing`` by workers that died before leases existed get a lapsed
    lease, so the first sweep after the upgrade takes them back. A poll counts only if
    it has no task yet: one with tasks was planned, and its tasks carry on."""
    now = datetime.now(UTC).replace(tzinfo=None)
    tasks = sa.table("tasks", sa.column("state"), sa.column("lease_expires", sa.DateTime()))
    polls = sa.table(
        "polls", sa.column("id"), sa.column("state"), sa.column("lease_expires", sa.DateTime())
    )
    planned = sa.exists().where(sa.column("poll_id") == polls.c.id).select_from(sa.table("tasks"))
    op.execute(tasks.update().where(tasks.c.state == "processing").values(lease_expires=now))
    op.execute(
        polls.update().where(polls.c.state == "processing", ~planned).values(lease_expires=now)
    )


def downgrade() -> None:
    # Dropping a column rebuilds the table on SQLite; with foreign keys on, dropping the
    # old polls (tasks) table would cascade-delete every task (result).
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_results_task_id"))
        batch_op.create_index(batch_op.f("ix_results_task_id"), ["task_id"], unique=False)
    for table in reversed(_LEASED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_lease_expires"))
            batch_op.drop_column("reclaims")
            batch_op.drop_column("lease_expires")
            batch_op.drop_column("lease_owner")
    if sqlite:
        op.execute("PRAGMA foreign_keys=ON")
