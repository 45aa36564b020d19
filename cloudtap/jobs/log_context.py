"""Log lines of a running job name the job and the poll, task or session it works on.

Every job function takes the id it works on first; the wrapper sets the log context
(``cloudtap.ops.logs``) around the run, so a JSON log line of a worker can be joined
with the API's lines for the same poll. A task's poll is looked up once.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import bindparam, select

from cloudtap.config import get_settings
from cloudtap.ops import logs
from cloudtap.store.db import transaction
from cloudtap.store.models import Task

# job name -> the context variable its first argument names
_FIRST_ARGUMENT: dict[str, contextvars.ContextVar[str | None]] = {
    "cloudtap.login": logs.session_id,
    "cloudtap.logout": logs.session_id,
    "cloudtap.poll": logs.poll_id,
    "cloudtap.files_poll": logs.poll_id,
    "cloudtap.file_batch": logs.poll_id,
    "cloudtap.task": logs.task_id,
}


_POLL_OF_TASK = select(Task.poll_id).where(Task.id == bindparam("task_id"))


def _poll_of_task(task_id: str) -> str | None:
    try:
        with transaction(get_settings().database_url) as db:
            return db.scalar(_POLL_OF_TASK, {"task_id": task_id})
    except Exception:  # a log field must never fail the job
        return None


P = ParamSpec("P")
R = TypeVar("R")


def with_log_context(name: str, function: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        context = contextvars.copy_context()
        return context.run(_run, name, function, args, kwargs)

    return run


def _run(name: str, function: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    logs.job.set(name)
    var = _FIRST_ARGUMENT.get(name)
    if var is not None and args:
        var.set(str(args[0]))
        if var is logs.task_id:
            logs.poll_id.set(_poll_of_task(str(args[0])))
    return function(*args, **kwargs)
