"""partial indexes of open polls and logins in progress by key: the per-key limits
(POST /polls, POST /sessions) counted every poll of the database to find a key's few open

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# Written out, not imported from the models: a migration keeps what it did.
_OPEN_POLLS = "state IN ('pending', 'processing')"
_PENDING_SESSIONS = "state IN ('pending')"


def upgrade() -> None:
    for name, table, where in (
        ("ix_polls_open_by_key", "polls", _OPEN_POLLS),
        ("ix_sessions_open_by_key", "sessions", _PENDING_SESSIONS),
    ):
        op.create_index(
            name,
            table,
            ["key_id", "state"],
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def downgrade() -> None:
    op.drop_index("ix_sessions_open_by_key", table_name="sessions")
    op.drop_index("ix_polls_open_by_key", table_name="polls")
