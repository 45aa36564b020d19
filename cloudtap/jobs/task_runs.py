"""Running a task: claim it under its lease with what it needs (the session's opened
Apple state, the result store, a listing's resume point), get its connector ready, and
stream what the connector yields into a result file. Settling the outcome is
:mod:`cloudtap.jobs.settling`'s; one task's whole job is :mod:`cloudtap.jobs.task_job`'s.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session as DbSession

from cloudtap.config import Settings
from cloudtap.crypto.sealing import SealError
from cloudtap.icloud.connector import Connector, FileStream, Filters
from cloudtap.icloud.errors import SessionExpired
from cloudtap.jobs.breaker import AccountBreaker, AccountCoolingDown
from cloudtap.jobs.connectors import connector_for
from cloudtap.jobs.cursors import Resume, usable_cursor
from cloudtap.jobs.job_errors import StorageUnavailable, UnsupportedTarget, WorkerLost
from cloudtap.jobs.locks import lock_provider_for
from cloudtap.jobs.poll_filters import InvalidFilter, filters_of
from cloudtap.jobs.polls import TASK_DATA, TASK_INFO
from cloudtap.jobs.session_state import open_session_state
from cloudtap.publish.cleanup import discard_partials
from cloudtap.publish.json_results import JsonDataWriter
from cloudtap.publish.s3 import S3Error
from cloudtap.publish.store import ResultStore, StoredObject
from cloudtap.publish.stores import publishing_store
from cloudtap.store import job_leases
from cloudtap.store.db import transaction
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Poll, Session, Source, Task
from cloudtap.store.writer_gate import urgent_writer_waiting

log = logging.getLogger(__name__)


def _key_stem(task: Task) -> str:
    return str(PurePosixPath(task.organisation_id, task.poll_id or "tasks", task.id))


def _result_key(task: Task, extension: str) -> str:
    safe_ext = "".join(ch for ch in extension.lower() if ch.isalnum())[:10] or "bin"
    return str(
        PurePosixPath(task.organisation_id, task.poll_id or "tasks", f"{task.id}.{safe_ext}")
    )


async def produce(
    store: ResultStore,
    connector: Connector,
    state: dict[str, Any],
    task: Task,
    payload: dict[str, Any],
    resume: Resume,
) -> tuple[StoredObject, str]:
    target = task.target or ""
    if task.type == TASK_INFO:
        if target not in connector.info_types():
            raise UnsupportedTarget(f"unknown info type {target}")
        info = await connector.fetch_info(state, target)
        with store.writer(_result_key(task, "json")) as (sink, stored):
            writer = JsonDataWriter(sink)
            writer.add(info)
            writer.close()
        return stored[0], "json"
    if task.type == TASK_DATA:
        if target not in connector.data_types():
            raise UnsupportedTarget(f"unknown data type {target}")
        filters = replace(filters_of(payload), cursor=resume.given)
        with store.writer(_result_key(task, "json")) as (sink, stored):
            writer = JsonDataWriter(sink)
            items = connector.fetch_items(state, target, filters)
            async for item in items:
                writer.add(item)
            # Items deleted on Apple's side since the cursor (tombstones of a change feed).
            writer.close(
                deleted=getattr(items, "deleted", None), warnings=getattr(items, "warnings", None)
            )
        resume.left = getattr(items, "cursor", None)
        return stored[0], "json"
    return await store_file(store, task, await connector.open_file(state, target))


async def store_file(
    store: ResultStore, task: Task, stream: FileStream
) -> tuple[StoredObject, str]:
    """Stream a file's bytes into the result store as they arrive."""
    extension = stream.info.extension or "bin"
    with store.writer(_result_key(task, extension)) as (sink, stored):
        async for chunk in stream.iter_bytes():
            sink.write(chunk)
    return stored[0], extension


_LOADED = "cloudtap.task_runs.loaded"


# Built once, bound per read: every task's claim (and settle) reads these.
_TASK = select(Task).where(Task.id == bindparam("row_id"))
_POLL = select(Poll).where(Poll.id == bindparam("row_id"))
_SESSION = select(Session).where(Session.id == bindparam("row_id"))
_ACCOUNT = select(Source.identifier).where(Source.id == bindparam("row_id"))


def load_task(db: DbSession, task_id: str) -> tuple[Task, Poll, Session] | None:
    task = db.scalars(_TASK, {"row_id": task_id}).first()
    if task is None or task.poll_id is None:
        return None
    # Tasks of one poll share these: a batch reads them once per transaction.
    known: dict[tuple[type[Any], str | None], Any] = db.info.setdefault(_LOADED, {})
    if (Poll, task.poll_id) not in known:
        known[Poll, task.poll_id] = db.scalars(_POLL, {"row_id": task.poll_id}).first()
    if (Session, task.session_id) not in known:
        known[Session, task.session_id] = db.scalars(_SESSION, {"row_id": task.session_id}).first()
    poll, session = known[Poll, task.poll_id], known[Session, task.session_id]
    if poll is None or session is None:
        return None
    return task, poll, session


@dataclass
class TaskRun:
    """One run of a task under its lease: what was loaded when it was claimed."""

    task_id: str
    owner: str
    task: Task
    poll_id: str
    payload: dict[str, Any]
    environment: str
    source_type: str
    state: dict[str, Any] | None
    store: ResultStore | None
    storage_config_id: str | None
    reclaims: int
    resume: Resume = field(default_factory=Resume)
    apple_id: str | None = None  # the account, for its throttling breaker
    listing_started: datetime = field(default_factory=utcnow)


def start_task(settings: Settings, task_id: str, owner: str) -> TaskRun | None:
    """Claim a pending task and load what running it needs; None if it is not ours."""
    runs = start_tasks(settings, [task_id], owner)
    return runs[0] if runs else None


def _resume_point(settings: Settings, db: DbSession, task: Task, poll: Poll) -> Resume:
    """Where a data task's listing may start: the source's kept cursor, if usable."""
    if task.type != TASK_DATA or not task.source_id:
        return Resume()
    try:
        filters = filters_of(dict(poll.payload or {}))
    except InvalidFilter:
        filters = Filters()
    return usable_cursor(settings, db, task.source_id, task.target or "", filters)


class _SharedLoads:
    """What the runs of one claim share, read once: each session's opened Apple state,
    each (organisation, key)'s result store, each source's Apple ID."""

    def __init__(self, settings: Settings, db: DbSession) -> None:
        self.settings, self.db = settings, db
        self._states: dict[str, dict[str, Any] | None] = {}
        self._stores: dict[tuple[str, str | None], tuple[ResultStore | None, str | None]] = {}
        self._accounts: dict[str | None, str | None] = {}

    def state(self, session: Session) -> dict[str, Any] | None:
        if session.id not in self._states:
            try:
                self._states[session.id] = open_session_state(self.settings, session)
            except (SessionExpired, SealError):
                self._states[session.id] = None
        state = self._states[session.id]
        # Each run gets its own copy: a connector may refresh it in place.
        return None if state is None else dict(state)

    def store(self, task: Task) -> tuple[ResultStore | None, str | None]:
        key = (task.organisation_id, task.key_id)
        if key not in self._stores:
            try:
                self._stores[key] = publishing_store(
                    self.db, self.settings, task.organisation_id, task.key_id
                )
            except (SealError, ValueError, *S3Error) as exc:
                log.error("task %s has no usable result store: %s", task.id, type(exc).__name__)
                self._stores[key] = (None, None)
        return self._stores[key]

    def apple_id(self, task: Task) -> str | None:
        if task.source_id not in self._accounts:
            self._accounts[task.source_id] = _account_of(self.db, task)
        return self._accounts[task.source_id]


def _claim(
    settings: Settings, db: DbSession, task_id: str, owner: str, shared: _SharedLoads
) -> TaskRun | None:
    """Claim one pending task on its own lease row and load its run; None if not ours."""
    loaded = load_task(db, task_id)
    if loaded is None or loaded[0].state != "pending":
        return None
    task, poll, session = loaded
    listing_started = utcnow()
    if not job_leases.claim(db, Task, task_id, owner, settings.task_lease_seconds):
        return None  # another worker took it (a message enqueued twice)
    store, storage_config_id = shared.store(task)
    return TaskRun(
        task_id=task_id,
        owner=owner,
        task=task,
        poll_id=poll.id,
        payload=dict(poll.payload or {}),
        environment=session.environment,
        source_type=task.source_type or "icloud.account",
        state=shared.state(session),
        store=store,
        storage_config_id=storage_config_id,
        reclaims=task.reclaims,
        resume=_resume_point(settings, db, task, poll),
        listing_started=listing_started,
        apple_id=shared.apple_id(task),
    )


def start_tasks(settings: Settings, task_ids: Sequence[str], owner: str) -> list[TaskRun]:
    """Claim the pending ones of ``task_ids`` in one transaction (each on its own lease
    row, all with this ``owner``) and load what running them needs: those this worker
    got, in order. Tasks of one session share its opened state and result store. A
    files batch commits early, between claims, when an urgent writer waits."""
    return claim_while(settings, task_ids, owner, _always)[0]


def _always() -> bool:
    return True


def claim_while(
    settings: Settings, task_ids: Sequence[str], owner: str, keep_claiming: Callable[[], bool]
) -> tuple[list[TaskRun], list[str]]:
    """:func:`start_tasks`, stopping between claims once ``keep_claiming`` says no (a
    batch making way for another tenant's job): the runs, and the ids not tried."""
    runs: list[TaskRun] = []
    unclaimed = deque(task_ids)
    while unclaimed and keep_claiming():
        with transaction(settings.database_url) as db:
            shared = _SharedLoads(settings, db)
            while unclaimed:
                run = _claim(settings, db, unclaimed.popleft(), owner, shared)
                if run is not None:
                    runs.append(run)
                if urgent_writer_waiting() or not keep_claiming():
                    break  # each claim stands alone: commit these, let it write
    for run in runs:
        if run.reclaims and run.store is not None:
            # Earlier runs died mid-way: what they wrote is replaced, never added to.
            discard_partials(run.store, _key_stem(run.task))
    return runs, list(unclaimed)


def _account_of(db: DbSession, task: Task) -> str | None:
    if not task.source_id:
        return None
    return db.scalars(_ACCOUNT, {"row_id": task.source_id}).first()


def breaker_for(settings: Settings) -> AccountBreaker:
    return AccountBreaker(lock_provider_for(settings).store)


def ready_connector(
    settings: Settings, run: TaskRun, breaker_open: Callable[[str], bool] | None = None
) -> Connector:
    """The task's connector, or the error that keeps it from running at all;
    ``breaker_open`` answers for the account's breaker (a batch's cached view of it)."""
    if run.reclaims >= settings.task_max_attempts:
        raise WorkerLost(f"workers died {run.reclaims} times running this task")
    if run.state is None:
        raise SessionExpired("the session has expired")
    if run.store is None:
        raise StorageUnavailable("no usable result store")
    is_open = breaker_open or breaker_for(settings).is_open
    if run.apple_id and is_open(run.apple_id):
        raise AccountCoolingDown("Apple throttles this account; waiting before asking again")
    return connector_for(run.environment, run.source_type)
