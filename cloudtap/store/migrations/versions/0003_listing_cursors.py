"""listing cursors: per source and data type, where the last listing left off

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listing_cursors",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("data_type", sa.String(length=100), nullable=False),
        sa.Column("cursor_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("cursor_key_id", sa.String(length=20), nullable=False),
        sa.Column("as_of", sa.DateTime(), nullable=False),
        sa.Column("date_updated", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("source_id", "data_type"),
    )
    with op.batch_alter_table("listing_cursors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_listing_cursors_source_id"), ["source_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("listing_cursors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listing_cursors_source_id"))
    op.drop_table("listing_cursors")
