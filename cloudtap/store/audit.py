"""The audit log's one write: append an entry (there is no update and no delete)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session as DbSession

from cloudtap.store.models import AuditEntry


def append(
    db: DbSession,
    *,
    organisation_id: str,
    key_id: str,
    environment: str,
    action: str,
    object_type: str,
    object_id: str | None,
    details: dict[str, Any],
) -> AuditEntry:
    entry = AuditEntry(
        organisation_id=organisation_id,
        key_id=key_id,
        environment=environment,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
    )
    db.add(entry)
    return entry
