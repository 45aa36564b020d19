"""``poll`` objects."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from cloudtap.store.ids import isoformat
from cloudtap.store.models import Poll, Result, Task
from cloudtap.wire.results import Signer, serialize_result


def _error_item(error: dict[str, Any]) -> dict[str, Any]:
    """A failed-task summary. ricloud-py builds every list item from its ``resource``
    (an unknown or missing one crashes it), so each item says it is a task."""
    return {"resource": "task", "id": error.get("task"), **error}


def serialize_poll(db: DbSession, row: Poll, sign: Signer | None = None) -> dict[str, Any]:
    tasks = db.execute(
        select(Task.id, Task.state).where(Task.poll_id == row.id).order_by(Task.pk)
    ).all()
    by_state: dict[str, list[str]] = {
        s: [] for s in ("pending", "processing", "succeeded", "failed", "suspended")
    }
    for task_id, state in tasks:
        by_state.setdefault(state, []).append(task_id)
    results = list(
        db.scalars(
            select(Result)
            .where(Result.poll_id == row.id, Result.state != "expired")
            .order_by(Result.pk)
        )
    )
    errors = [_error_item(e) for e in row.errors or []]
    return {
        "id": row.id,
        "resource": "poll",
        "organisation": row.organisation_id,
        "key": row.key_id,
        "user": row.user_id,
        "source": row.source_id,
        "session": row.session_id,
        "subscription": row.subscription_id,
        "payload": row.payload,
        **{f"tasks_{state}": ids for state, ids in by_state.items()},
        "results": {
            "resource": "list",
            "data": [serialize_result(r, sign) for r in results],
            "has_more": False,
            "total_count": len(results),
            "url": "/results",
        },
        "errors": {
            "resource": "list",
            "data": errors,
            "has_more": False,
            "total_count": len(errors),
            "url": f"/polls/{row.id}",
        },
        "state": row.state,
        # ricloud's samples read poll.error; a poll itself only fails when its session does.
        "error": errors[0].get("error") if errors and not tasks else None,
        "date_created": isoformat(row.date_created),
        "date_started": isoformat(row.date_started),
        "date_completed": isoformat(row.date_completed),
    }
