"""idempotency claims name the process answering them

``owner`` (``host:pid:boot``) lets a restarted server take over at once the claims that
a killed process left in flight, instead of answering 409 until they are 5 minutes old.
Claims made before this migration have none and keep the 5-minute rule.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("owner")
