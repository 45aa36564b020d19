"""``/tasks``: units of work of a poll (one per info type, data type or file) or a config test."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session as DbSession

from cloudtap.api.auth import Caller, authenticate
from cloudtap.api.common import (
    ListOut,
    ListParams,
    find_scoped,
    list_params,
    list_resource,
    unit_of_work,
)
from cloudtap.api.errors import ApiError, not_found
from cloudtap.api.resources.results import signer
from cloudtap.api.routing import WireRoute
from cloudtap.store.db import on_commit
from cloudtap.store.models import Task
from cloudtap.wire.tasks import serialize_task

router = APIRouter(tags=["tasks"], route_class=WireRoute)


class TaskOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    resource: str = "task"
    organisation: str
    key: str | None
    user: str | None
    source: str | None
    session: str | None
    poll: str | None
    source_type: str | None
    type: str
    target: str | None
    state: str
    results: ListOut[Any]
    error: str | None
    date_created: str | None
    date_started: str | None
    date_completed: str | None


def create_config_test_task(
    db: DbSession, caller: Caller, task_type: str, config_id: str
) -> dict[str, Any]:
    """A ``storage_config.test`` / ``webhook_config.test`` task, run as a job after commit."""
    from cloudtap.jobs.dispatch import enqueue_config_test

    task = Task(
        organisation_id=caller.organisation_id,
        key_id=caller.key_id,
        type=task_type,
        target=config_id,
    )
    db.add(task)
    db.flush()
    task_id, settings = task.id, caller.settings
    on_commit(db, lambda: enqueue_config_test(settings, task_id))
    return serialize_task(db, task)


@router.get("/tasks", response_model=ListOut[TaskOut])
def list_tasks(
    request: Request,
    params: ListParams = Depends(list_params),
    poll: str | None = Query(None),
    session: str | None = Query(None),
    state: str | None = Query(None),
    type: str | None = Query(None),
    caller: Caller = Depends(authenticate),
) -> dict[str, Any]:
    filters = {"poll_id": poll, "session_id": session, "state": state, "type": type}
    return list_resource(
        request,
        caller,
        params,
        Task,
        lambda db, t: serialize_task(db, t, signer(request)),
        filters=filters,
    )


@router.post("/tasks", status_code=400)
def create_task(caller: Caller = Depends(authenticate)) -> Any:
    """ricloud-py has ``Task.create``, but the public docs describe no task a client makes
    itself: each is made by a poll or a config test. Say so, rather than a bare 405."""
    raise ApiError(
        400,
        "not-creatable",
        "Tasks are not created directly: create a poll (one task per info type, data type "
        "or file it asks for), or test a storage or webhook config.",
        {"use": "POST /polls"},
    )


@router.get("/tasks/{task_id}", response_model=TaskOut)
def retrieve_task(
    task_id: str, request: Request, caller: Caller = Depends(authenticate)
) -> dict[str, Any]:
    with unit_of_work(caller) as db:
        row = find_scoped(db, Task, caller, task_id)
        if row is None:
            raise not_found("task", task_id)
        return serialize_task(db, row, signer(request))
