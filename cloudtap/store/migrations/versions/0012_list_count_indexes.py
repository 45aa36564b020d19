"""indexes on (organisation_id, key_id) of events and polls: a list's total_count, asked on
every GET /events and GET /polls, read from the index alone; on sources.parent_id: every
session read lists its source's children

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_organisation_key", "events", ["organisation_id", "key_id"])
    op.create_index("ix_polls_organisation_key", "polls", ["organisation_id", "key_id"])
    op.create_index("ix_sources_parent_id", "sources", ["parent_id"])


def downgrade() -> None:
    op.drop_index("ix_sources_parent_id", table_name="sources")
    op.drop_index("ix_polls_organisation_key", table_name="polls")
    op.drop_index("ix_events_organisation_key", table_name="events")
