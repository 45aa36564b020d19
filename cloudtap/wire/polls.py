"""``poll`` objects."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session as DbSession

from cloudtap.store.models import Poll, Result, Task
from cloudtap.wire.encoded import (
    TASK_STATES,
    EncodedJson,
    encoded_page_results,
    encoded_results,
    tasks_by_state,
)
from cloudtap.wire.results import Signer, cached_isoformat, select_result_rows, serialize_result

PollFields = Poll | Row[Any]  # an object, or a row of POLL_COLUMNS: the same attributes


# What a poll object shows: a page of polls is read as plain rows of these.
POLL_COLUMNS = (
    Poll.id,
    Poll.organisation_id,
    Poll.key_id,
    Poll.user_id,
    Poll.source_id,
    Poll.session_id,
    Poll.subscription_id,
    Poll.payload,
    Poll.errors,
    Poll.state,
    Poll.date_created,
    Poll.date_started,
    Poll.date_completed,
)


def _error_item(error: dict[str, Any]) -> dict[str, Any]:
    """A failed-task summary. ricloud-py builds every list item from its ``resource``
    (an unknown or missing one crashes it), so each item says it is a task."""
    return {"resource": "task", "id": error.get("task"), **error}


# Built once, bound per read: building a statement costs more than running it here.
_POLL_RESULTS = (
    select_result_rows()
    .where(Result.poll_id == bindparam("poll"), Result.state != "expired")
    .order_by(Result.pk)
)
_PAGE_TASKS = (
    select(Task.poll_id, Task.id, Task.state)
    .where(Task.poll_id.in_(bindparam("polls", expanding=True)))
    .order_by(Task.pk)
)
_PAGE_RESULTS = (
    select_result_rows()
    .where(Result.poll_id.in_(bindparam("polls", expanding=True)), Result.state != "expired")
    .order_by(Result.pk)
)


def _results(db: DbSession, poll_id: str, sign: Signer | None) -> list[dict[str, Any]]:
    # Plain rows, not ORM objects: a files poll has a result per file.
    rows = db.execute(_POLL_RESULTS, {"poll": poll_id}).all()
    return [serialize_result(r, sign) for r in rows]


def serialize_poll(
    db: DbSession, row: Poll, sign: Signer | None = None, links_key: Hashable | None = None
) -> dict[str, Any]:
    """The poll object. With ``links_key`` (what makes ``sign``'s links: base URL, expiry)
    its results come as one ``EncodedJson`` (see ``cloudtap.wire.encoded``), which only
    ``json_response`` writes; without it, as dicts."""
    by_state = tasks_by_state(db, row.id)
    results: list[dict[str, Any]] | EncodedJson
    if links_key is None:
        results = _results(db, row.id, sign)
        count = len(results)
    else:
        results = encoded_results(db, row.id, links_key, lambda: _results(db, row.id, sign))
        count = results.items
    return _poll_object(row, by_state, results, count)


def serialize_new_poll(row: Poll) -> dict[str, Any]:
    """A poll just written in this unit of work, as ``serialize_poll`` would read it back:
    it has no tasks or results yet, so nothing is read."""
    return _poll_object(row, {state: [] for state in TASK_STATES}, [], 0)


def serialize_polls(
    db: DbSession,
    rows: Sequence[PollFields],
    sign: Signer | None = None,
    links_key: Hashable | None = None,
) -> list[Any]:
    """A page of polls (objects, or rows of ``POLL_COLUMNS``) as ``serialize_poll`` gives
    each, their tasks and results read in one query each for the whole page (not two
    per poll). Read through the connection (no autoflush, no ORM execution layer): for a
    page read in a unit of work of its own, as ``GET /polls`` does. With ``links_key``
    each poll's results come as ``EncodedJson``, kept as ``serialize_poll`` keeps them."""
    ids = [row.id for row in rows]
    tasks: dict[str, dict[str, list[str]]] = {i: {s: [] for s in TASK_STATES} for i in ids}
    if not ids:
        return []
    connection = db.connection()
    # Fetched at once, not row by row: a page of polls has a few tasks each.
    for poll_id, task_id, state in connection.execute(_PAGE_TASKS, {"polls": ids}).all():
        if poll_id is not None:  # the IN above: never None
            tasks[poll_id].setdefault(state, []).append(task_id)

    def results_of(poll_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        results: dict[str, list[dict[str, Any]]] = {i: [] for i in poll_ids}
        for result in connection.execute(_PAGE_RESULTS, {"polls": poll_ids}).all():
            results[result.poll_id].append(serialize_result(result, sign))
        return results

    if links_key is None:
        plain = results_of(ids)
        return [_poll_object(row, tasks[row.id], plain[row.id], len(plain[row.id])) for row in rows]
    encoded = encoded_page_results(db, ids, links_key, results_of)
    return [
        _poll_object(row, tasks[row.id], encoded[row.id], encoded[row.id].items) for row in rows
    ]


def _poll_object(
    row: PollFields,
    by_state: dict[str, list[str]],
    results: list[dict[str, Any]] | EncodedJson,
    count: int,
) -> dict[str, Any]:
    has_tasks = any(by_state.values())
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
            "data": results,
            "has_more": False,
            "total_count": count,
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
        "error": errors[0].get("error") if errors and not has_tasks else None,
        # The same dates on every read of a page: formatted once (bounded cache).
        "date_created": cached_isoformat(row.date_created),
        "date_started": cached_isoformat(row.date_started),
        "date_completed": cached_isoformat(row.date_completed),
    }
