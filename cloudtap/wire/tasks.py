"""``task`` objects."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from cloudtap.store.ids import isoformat
from cloudtap.store.models import Result, Task
from cloudtap.wire.results import Signer, serialize_result


def serialize_task(
    db: DbSession, row: Task, sign: Signer | None = None, results: list[Result] | None = None
) -> dict[str, Any]:
    """``results``: the task's results when the caller knows them (a task just created
    has none), else they are read."""
    if results is None:
        results = list(
            db.scalars(select(Result).where(Result.task_id == row.id).order_by(Result.pk.desc()))
        )
    return {
        "id": row.id,
        "resource": "task",
        "organisation": row.organisation_id,
        "key": row.key_id,
        "user": row.user_id,
        "source": row.source_id,
        "session": row.session_id,
        "poll": row.poll_id,
        "source_type": row.source_type,
        "type": row.type,
        "target": row.target,
        "state": row.state,
        "results": {
            "resource": "list",
            "data": [serialize_result(r, sign) for r in results],
            "has_more": False,
            "total_count": len(results),
            "url": "/results",
        },
        "error": row.error,
        "date_created": isoformat(row.date_created),
        "date_started": isoformat(row.date_started),
        "date_completed": isoformat(row.date_completed),
    }
