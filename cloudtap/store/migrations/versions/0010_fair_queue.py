"""fair queue: tenants' waiting jobs and when each tenant was last served

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queued_jobs",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("key_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("date_created", sa.DateTime(), nullable=False),
        sa.Column("running_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("pk"),
    )
    op.create_index(
        "ix_queued_jobs_tenant", "queued_jobs", ["organisation_id", "key_id", "pk"], unique=False
    )
    op.create_table(
        "tenant_turns",
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("key_id", sa.String(length=36), nullable=False),
        sa.Column("served", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id", "key_id"),
    )


def downgrade() -> None:
    op.drop_table("tenant_turns")
    op.drop_index("ix_queued_jobs_tenant", table_name="queued_jobs")
    op.drop_table("queued_jobs")
