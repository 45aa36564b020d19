"""``session`` and ``source`` objects (a session nests its source)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session as DbSession

from cloudtap.store.ids import isoformat
from cloudtap.store.models import Session, Source

# Built once, values bound per call: every GET /sessions/{id} runs both.
_SOURCE_BY_ID = select(Source).where(Source.id == bindparam("source_id"))
_CHILDREN = select(Source).where(Source.parent_id == bindparam("parent_id")).order_by(Source.pk)


def serialize_source(db: DbSession, row: Source, depth: int = 0) -> dict[str, Any]:
    children = list(db.scalars(_CHILDREN, {"parent_id": row.id})) if depth < 1 else []
    return {
        "id": row.id,
        "resource": "source",
        "user": row.user_id,
        "type": row.type,
        "identifier": row.identifier,
        "parent": row.parent_id,
        "children": {
            "resource": "list",
            "data": [serialize_source(db, c, depth + 1) for c in children],
            "has_more": False,
            "total_count": len(children),
            "url": "/sources",
        },
        "state": row.state,
        "date_created": isoformat(row.date_created),
    }


def serialize_session(db: DbSession, row: Session) -> dict[str, Any]:
    source = db.scalars(_SOURCE_BY_ID, {"source_id": row.source_id}).first()
    assert source is not None
    return {
        "id": row.id,
        "resource": "session",
        "organisation": row.organisation_id,
        "key": row.key_id,
        "user": row.user_id,
        "source": serialize_source(db, source),
        "state": row.state,
        "error": row.error,
        "error_info": row.error_info,
        "date_created": isoformat(row.date_created),
        "date_expired": isoformat(row.date_expired),
        # When the login's trust ends; ``expires_estimated``: Apple did not say, so this
        # is the documented estimate (docs/sessions.md).
        "date_expires": isoformat(row.date_expires),
        "expires_estimated": row.expires_estimated,
    }
