"""list deletions: a count of rows deleted from the tables whose lists grow with history,
which tells a kept list count (``store/kept_counts.py``) it must count again

Revision ID: 0013
Revises: 0012

The triggers are SQLite's only: counts are kept on SQLite alone (where a row's primary
key follows commit order). A later migration that rebuilds one of these tables on
SQLite (``batch_alter_table``) drops its trigger and must create it again;
``tests/store/test_kept_counts.py`` checks every one is there at head.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# Deleting from one of these changes what a kept count covered: the listed tables, and
# the keys and tasks/polls a row's environment is found through.
WATCHED = ("polls", "tasks", "results", "events", "keys")


def upgrade() -> None:
    op.create_table(
        "list_deletions",
        sa.Column("pk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("deleted", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pk"),
    )
    op.execute("INSERT INTO list_deletions (pk, deleted) VALUES (1, 0)")
    if op.get_bind().dialect.name == "sqlite":
        for table in WATCHED:
            op.execute(
                f"CREATE TRIGGER {table}_list_deletion AFTER DELETE ON {table} "
                "BEGIN UPDATE list_deletions SET deleted = deleted + 1 WHERE pk = 1; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_list_deletion")
    op.drop_table("list_deletions")
