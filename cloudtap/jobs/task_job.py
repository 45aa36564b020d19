"""The task job: claim one task, run it under its lease (a heartbeat renews it), settle
its outcome, completing its poll in the same transaction if it was the last."""

from __future__ import annotations

import asyncio

from cloudtap.config import get_settings
from cloudtap.icloud.errors import ICloudError
from cloudtap.jobs.heartbeat import Heartbeat, new_owner
from cloudtap.jobs.job_errors import task_error
from cloudtap.jobs.settling import finish_task
from cloudtap.jobs.task_runs import produce, ready_connector, start_task
from cloudtap.publish.store import StoredObject
from cloudtap.store.models import Task


def run_task(task_id: str, attempt: int = 0, waited: float = 0.0) -> None:
    """Run one task under a lease; ``attempt`` and ``waited`` count its earlier throttled
    tries (a run a dead worker left behind is counted by the task's ``reclaims``)."""
    settings = get_settings()
    owner = new_owner()
    run = start_task(settings, task_id, owner)
    if run is None:
        return
    stored: StoredObject | None = None
    kind = "json"
    error: ICloudError | None = None
    try:
        connector = ready_connector(settings, run)
        assert run.store is not None and run.state is not None
        with Heartbeat(settings, Task, task_id, owner).running():
            stored, kind = asyncio.run(
                produce(run.store, connector, run.state, run.task, run.payload, run.resume)
            )
    except Exception as exc:
        error = task_error(task_id, exc)
    # Completes the poll too if this task was its last.
    finish_task(settings, run, stored, kind, error, attempt, waited)
