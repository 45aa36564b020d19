"""idempotency keys (sealed replayable answers) and the append-only audit log

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key_id", sa.String(length=36), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("response_key_id", sa.String(length=20), nullable=True),
        sa.Column("date_created", sa.DateTime(), nullable=False),
        sa.Column("date_expires", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["key_id"], ["keys.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("key_id", "idempotency_key"),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotency_keys_key_id"), ["key_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_idempotency_keys_date_expires"), ["date_expires"], unique=False
        )
    op.create_table(
        "audit_log",
        sa.Column("key_id", sa.String(length=36), nullable=True),
        sa.Column("environment", sa.String(length=10), nullable=True),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("object_type", sa.String(length=50), nullable=False),
        sa.Column("object_id", sa.String(length=36), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("date_created", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_id"), ["id"], unique=True)
        batch_op.create_index(
            batch_op.f("ix_audit_log_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_id"))
    op.drop_table("audit_log")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_date_expires"))
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_key_id"))
    op.drop_table("idempotency_keys")
