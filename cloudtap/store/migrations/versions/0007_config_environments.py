"""storage and webhook configs belong to an environment (sandbox or live)

A config belongs to the environment of the key that created it. Configs made before this
migration are placed by the safest evidence there is, in this order:

1. ``live`` if a live key (active or not) names it, or it is the default of an
   organisation that has a live key: live keys rely on it, so it must stay theirs;
2. else the environment recorded in the audit log for its creation
   (``storage_config.created`` / ``webhook_config.created``);
3. else ``live``: a config of unknown origin is never handed to sandbox keys.

A key then left naming a config of the other environment (a sandbox key that had
attached a live config) is detached from it: its results and events go where its
environment's default, if any, sends them. The organisation's default is kept; it now
applies only to keys of its config's environment. Downgrading drops the column but does
not re-attach detached configs.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# (table, the keys' column naming it, the organisations' default column, audit action)
_CONFIGS = (
    ("storage_configs", "storage_config_id", "storage_config_default", "storage_config.created"),
    ("webhook_configs", "webhook_config_id", "webhook_config_default", "webhook_config.created"),
)


def _place(table: str, key_column: str, default_column: str, created: str) -> None:
    op.execute(
        f"UPDATE {table} SET environment = 'live' WHERE EXISTS ("
        f" SELECT 1 FROM keys WHERE keys.{key_column} = {table}.id"
        "  AND keys.environment = 'live')"
        " OR EXISTS ("
        f" SELECT 1 FROM organisations WHERE organisations.{default_column} = {table}.id"
        "  AND EXISTS (SELECT 1 FROM keys WHERE keys.organisation_id = organisations.id"
        "   AND keys.environment = 'live'))"
    )
    op.execute(
        f"UPDATE {table} SET environment = ("
        " SELECT audit_log.environment FROM audit_log"
        f" WHERE audit_log.action = '{created}' AND audit_log.object_id = {table}.id"
        "  AND audit_log.organisation_id = "
        f"{table}.organisation_id"
        "  AND audit_log.environment IN ('sandbox', 'live')"
        " ORDER BY audit_log.pk LIMIT 1)"
        " WHERE environment IS NULL"
    )
    op.execute(f"UPDATE {table} SET environment = 'live' WHERE environment IS NULL")
    op.execute(
        f"UPDATE keys SET {key_column} = NULL WHERE EXISTS ("
        f" SELECT 1 FROM {table} WHERE {table}.id = keys.{key_column}"
        f"  AND {table}.environment <> keys.environment)"
    )


def upgrade() -> None:
    for table, key_column, default_column, created in _CONFIGS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("environment", sa.String(length=10), nullable=True))
        _place(table, key_column, default_column, created)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("environment", existing_type=sa.String(length=10), nullable=False)


def downgrade() -> None:
    for table, _key_column, _default_column, _created in _CONFIGS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("environment")
