"""The poll job (plan one task per info type, data type and file) and the task job.

Each task streams what the connector yields into a result file through the result
store, then records the result. A poll is ``completed`` once none of its tasks is left
pending or processing; the check runs after each task's own commit, so the last task to
finish always sees the others done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session as DbSession

from cloudtap.config import Settings, get_settings
from cloudtap.crypto.sealing import SealError
from cloudtap.icloud.connector import Connector, FileStream, Filters
from cloudtap.icloud.errors import AdpEnabled, ICloudError, RateLimited, SessionExpired
from cloudtap.jobs.breaker import AccountBreaker, AccountCoolingDown
from cloudtap.jobs.connectors import connector_for
from cloudtap.jobs.cursors import Resume, keep_cursor, usable_cursor
from cloudtap.jobs.dispatch import enqueue_file_batch, enqueue_task
from cloudtap.jobs.heartbeat import Heartbeat, new_owner
from cloudtap.jobs.locks import lock_provider_for
from cloudtap.jobs.poll_filters import InvalidFilter, filters_of
from cloudtap.jobs.throttling import schedule_task_retry, throttle_wait
from cloudtap.jobs.vault import open_state, seal_state, session_context
from cloudtap.publish.cleanup import discard_partials
from cloudtap.publish.events import emit
from cloudtap.publish.json_results import JsonDataWriter
from cloudtap.publish.s3 import S3Error
from cloudtap.publish.store import ResultStore, StoredObject
from cloudtap.publish.stores import publishing_store
from cloudtap.store import job_leases
from cloudtap.store.db import on_commit, transaction
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Poll, Result, Session, Source, Task
from cloudtap.store.poll_errors import append_poll_error
from cloudtap.wire.polls import serialize_poll
from cloudtap.wire.results import serialize_result
from cloudtap.wire.sessions import serialize_session
from cloudtap.wire.tasks import serialize_task

log = logging.getLogger(__name__)

TASK_INFO, TASK_DATA, TASK_FILE = "icloud.info", "icloud.data", "icloud.file"
_OPEN_STATES = ("pending", "processing")
# A poll checks (and renews) the Apple web session first unless the session was used
# this recently: a quick follow-up poll then costs only its own requests.
SESSION_CHECK_INTERVAL = timedelta(minutes=5)


class UnsupportedTarget(ICloudError):
    code = "unsupported-type"


class StorageUnavailable(ICloudError):
    """The result store (e.g. the S3 bucket) refused or could not be reached."""

    code = "storage-unavailable"


class WorkerLost(ICloudError):
    """Workers died (their leases lapsed) every time they ran it: it is not run again."""

    code = "worker-lost"


class InternalError(ICloudError):
    """Something unexpected broke; details go to the log, never to the API."""

    code = "internal-error"


def _expand(requested: list[str], available: list[str]) -> list[str]:
    if "*" in requested:
        return list(available)
    return list(dict.fromkeys(requested))


def plan_targets(payload: dict[str, Any], connector: Connector) -> list[tuple[str, str]]:
    targets = [
        (TASK_INFO, t) for t in _expand(payload.get("info_types", []), connector.info_types())
    ]
    targets += [
        (TASK_DATA, t) for t in _expand(payload.get("data_types", []), connector.data_types())
    ]
    targets += [(TASK_FILE, f) for f in dict.fromkeys(payload.get("files", []))]
    return targets


def _serialize_task(db: DbSession, task: Task) -> dict[str, Any]:
    return serialize_task(db, task)


def _serialize_poll(db: DbSession, poll: Poll) -> dict[str, Any]:
    return serialize_poll(db, poll)


def _expire_session(db: DbSession, session: Session) -> None:
    if session.state == "expired":
        return
    session.state, session.error, session.date_expired = "expired", "session-expired", utcnow()
    session.state_sealed = session.state_key_id = None
    emit(
        db,
        session.organisation_id,
        session.key_id,
        "session",
        "expired",
        serialize_session(db, session),
    )


def _session_state(settings: Settings, session: Session) -> dict[str, Any]:
    state = open_state(
        settings, session_context(session.id), session.state_key_id, session.state_sealed
    )
    if state is None:
        raise SessionExpired("the session holds no Apple state")
    return dict(state)


def complete_if_done(settings: Settings, poll_id: str) -> None:
    with transaction(settings.database_url) as db:
        open_tasks = db.scalar(
            select(func.count()).where(Task.poll_id == poll_id, Task.state.in_(_OPEN_STATES))
        )
        if open_tasks:
            return
        now = utcnow()
        changed = db.execute(
            update(Poll)
            .where(Poll.id == poll_id, Poll.state != "completed")
            .values(state="completed", date_completed=now)
        )
        if getattr(changed, "rowcount", 0):
            poll = db.scalars(select(Poll).where(Poll.id == poll_id)).one()
            emit(
                db,
                poll.organisation_id,
                poll.key_id,
                "poll",
                "completed",
                _serialize_poll(db, poll),
            )


def _used_recently(db: DbSession, poll: Poll) -> bool:
    """Whether another poll of this session started within ``SESSION_CHECK_INTERVAL``."""
    latest = db.scalar(
        select(func.max(Poll.date_started)).where(
            Poll.session_id == poll.session_id, Poll.id != poll.id
        )
    )
    return latest is not None and latest >= utcnow() - SESSION_CHECK_INTERVAL


def _fail_poll(db: DbSession, poll: Poll, error: str, message: str) -> None:
    append_poll_error(db, poll.id, {"error": error, "message": message})


def run_poll(poll_id: str) -> None:

    settings = get_settings()
    owner = new_owner()
    log.info("poll job for %s", poll_id)  # ids only: which worker ran what
    with transaction(settings.database_url) as db:
        poll = db.scalars(select(Poll).where(Poll.id == poll_id)).first()
        if poll is None or poll.state != "pending":
            return
        if not job_leases.claim(db, Poll, poll_id, owner, settings.task_lease_seconds):
            return  # another worker took it (a message enqueued twice)
        # Planning commits its tasks and gives the lease up at once, so a poll taken
        # back from a dead worker has no tasks yet: it is simply planned again.
        if poll.reclaims >= settings.task_max_attempts:
            job_leases.settle(db, Poll, poll_id, owner)
            _fail_poll(db, poll, WorkerLost.code, "Workers died while planning this poll.")
            on_commit(db, lambda: complete_if_done(settings, poll_id))
            return
        session = db.scalars(select(Session).where(Session.id == poll.session_id)).one()
        environment, payload = session.environment, dict(poll.payload or {})
        source_type = _source_type(db, session)
        recently_used = _used_recently(db, poll)
        try:
            state = _session_state(settings, session)
        except (SessionExpired, SealError):
            _expire_session(db, session)
            _fail_poll(db, poll, "session-expired", "The session has expired.")
            state = None
    targets: list[tuple[str, str]] = []
    failure: ICloudError | None = None
    refreshed: dict[str, Any] | None = None
    if state is not None:
        with Heartbeat(settings, Poll, poll_id, owner).running():
            targets, refreshed, failure = _plan(
                poll_id, (environment, source_type), state, payload, recently_used
            )
    task_ids: list[str] = []
    with transaction(settings.database_url) as db:
        if not job_leases.settle(db, Poll, poll_id, owner):
            log.warning("poll %s was taken back while it was planned", poll_id)
            return
        poll = db.scalars(select(Poll).where(Poll.id == poll_id)).one()
        session = db.scalars(select(Session).where(Session.id == poll.session_id)).one()
        if isinstance(failure, SessionExpired):
            _expire_session(db, session)
            _fail_poll(db, poll, failure.code, "The session has expired.")
        elif failure is not None:
            _fail_poll(db, poll, failure.code, str(failure))
        elif state is not None and refreshed is not None:
            sealed = seal_state(settings, session_context(session.id), refreshed)
            session.state_sealed, session.state_key_id = sealed.blob, sealed.key_id
        file_ids: list[str] = []

        def enqueue_all() -> None:
            # Files go as one batch job: a few transfers at a time over one client.
            batched = set(file_ids) if len(file_ids) > 1 else set()
            for task_id in task_ids:
                if task_id not in batched:
                    enqueue_task(settings, task_id)
            if batched:
                enqueue_file_batch(settings, poll_id, file_ids)

        # Registered before the tasks' events, so the work is queued ahead of their
        # webhook deliveries (a free worker takes the batch, not 500 first attempts).
        on_commit(db, enqueue_all)
        tasks = [
            Task(
                organisation_id=poll.organisation_id,
                key_id=poll.key_id,
                user_id=poll.user_id,
                source_id=poll.source_id,
                session_id=poll.session_id,
                poll_id=poll.id,
                source_type=source_type,
                type=kind,
                target=target,
            )
            for kind, target in targets
        ]
        db.add_all(tasks)
        db.flush()  # once for all of them, not once per task
        for task in tasks:
            task_ids.append(task.id)
            # A new task has no results: nothing to read; its events go in one flush.
            data = serialize_task(db, task, results=[])
            emit(db, task.organisation_id, task.key_id, "task", "created", data, flush=False)
        db.flush()
        file_ids += [
            tid for tid, (kind, _) in zip(task_ids, targets, strict=True) if kind == TASK_FILE
        ]
    if not task_ids:
        complete_if_done(settings, poll_id)


def _source_type(db: DbSession, session: Session) -> str:
    found = db.scalars(select(Source.type).where(Source.id == session.source_id)).first()
    return found or "icloud.account"


def _plan(
    poll_id: str,
    reach: tuple[str, str],
    state: dict[str, Any],
    payload: dict[str, Any],
    recently_used: bool,
) -> tuple[list[tuple[str, str]], dict[str, Any] | None, ICloudError | None]:
    """(targets, refreshed Apple state or None, failure or None) of one poll; ``reach``
    is the session's (environment, source type)."""
    try:
        connector = connector_for(*reach)
        try:
            # Tasks renew an ended web session themselves; checking it up front only
            # pays when the session has not been used for a while.
            refreshed = None if recently_used else asyncio.run(connector.validate(state))
        except (AdpEnabled, RateLimited):
            # Apple answers these per service: let each task get its own verdict.
            refreshed = None
        return plan_targets(payload, connector), refreshed, None
    except ICloudError as exc:
        return [], None, exc
    except Exception as exc:
        log.error("poll %s could not start: %s", poll_id, type(exc).__name__)
        return [], None, InternalError()


def _key_stem(task: Task) -> str:
    return str(PurePosixPath(task.organisation_id, task.poll_id or "tasks", task.id))


def _result_key(task: Task, extension: str) -> str:
    safe_ext = "".join(ch for ch in extension.lower() if ch.isalnum())[:10] or "bin"
    return str(
        PurePosixPath(task.organisation_id, task.poll_id or "tasks", f"{task.id}.{safe_ext}")
    )


async def _produce(
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


_LOADED = "cloudtap.polling.loaded"


def _load_task(db: DbSession, task_id: str) -> tuple[Task, Poll, Session] | None:
    task = db.scalars(select(Task).where(Task.id == task_id)).first()
    if task is None or task.poll_id is None:
        return None
    # Tasks of one poll share these: a batch reads them once per transaction.
    known: dict[tuple[type[Any], str | None], Any] = db.info.setdefault(_LOADED, {})
    if (Poll, task.poll_id) not in known:
        known[Poll, task.poll_id] = db.scalars(select(Poll).where(Poll.id == task.poll_id)).first()
    if (Session, task.session_id) not in known:
        known[Session, task.session_id] = db.scalars(
            select(Session).where(Session.id == task.session_id)
        ).first()
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


def start_tasks(settings: Settings, task_ids: Sequence[str], owner: str) -> list[TaskRun]:
    """Claim the pending ones of ``task_ids`` in one transaction (each on its own lease
    row, all with this ``owner``) and load what running them needs: those this worker
    got, in order. Tasks of one session share its opened state and result store."""
    runs: list[TaskRun] = []
    states: dict[str, dict[str, Any] | None] = {}
    stores: dict[tuple[str, str | None], tuple[ResultStore | None, str | None]] = {}
    accounts: dict[str | None, str | None] = {}
    with transaction(settings.database_url) as db:
        for task_id in task_ids:
            loaded = _load_task(db, task_id)
            if loaded is None or loaded[0].state != "pending":
                continue
            task, poll, session = loaded
            listing_started = utcnow()
            if not job_leases.claim(db, Task, task_id, owner, settings.task_lease_seconds):
                continue  # another worker took it (a message enqueued twice)
            resume = Resume()
            if task.type == TASK_DATA and task.source_id:
                try:
                    filters = filters_of(dict(poll.payload or {}))
                except InvalidFilter:
                    filters = Filters()
                resume.given = usable_cursor(
                    settings, db, task.source_id, task.target or "", filters
                )
            if session.id not in states:
                try:
                    states[session.id] = _session_state(settings, session)
                except (SessionExpired, SealError):
                    states[session.id] = None
            state = states[session.id]
            store_key = (task.organisation_id, task.key_id)
            if store_key not in stores:
                try:
                    stores[store_key] = publishing_store(
                        db, settings, task.organisation_id, task.key_id
                    )
                except (SealError, ValueError, *S3Error) as exc:
                    log.error("task %s has no usable result store: %s", task_id, type(exc).__name__)
                    stores[store_key] = (None, None)
            store, storage_config_id = stores[store_key]
            if task.source_id not in accounts:
                accounts[task.source_id] = _account_of(db, task)
            runs.append(
                TaskRun(
                    task_id=task_id,
                    owner=owner,
                    task=task,
                    poll_id=poll.id,
                    payload=dict(poll.payload or {}),
                    environment=session.environment,
                    source_type=task.source_type or "icloud.account",
                    # Each run gets its own copy: a connector may refresh it in place.
                    state=None if state is None else dict(state),
                    store=store,
                    storage_config_id=storage_config_id,
                    reclaims=task.reclaims,
                    resume=resume,
                    listing_started=listing_started,
                    apple_id=accounts[task.source_id],
                )
            )
    for run in runs:
        if run.reclaims and run.store is not None:
            # Earlier runs died mid-way: what they wrote is replaced, never added to.
            discard_partials(run.store, _key_stem(run.task))
    return runs


def _account_of(db: DbSession, task: Task) -> str | None:
    if not task.source_id:
        return None
    return db.scalars(select(Source.identifier).where(Source.id == task.source_id)).first()


def _breaker(settings: Settings) -> AccountBreaker:
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
    is_open = breaker_open or _breaker(settings).is_open
    if run.apple_id and is_open(run.apple_id):
        raise AccountCoolingDown("Apple throttles this account; waiting before asking again")
    return connector_for(run.environment, run.source_type)


def task_error(task_id: str, exc: Exception) -> ICloudError:
    """The stable error code a task fails (or is retried) with."""
    if isinstance(exc, ICloudError):
        return exc
    if isinstance(exc, S3Error):
        log.error("task %s could not store its result: %s", task_id, type(exc).__name__)
        return StorageUnavailable()
    log.error("task %s failed unexpectedly: %s", task_id, type(exc).__name__)
    return InternalError()


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
                _produce(run.store, connector, run.state, run.task, run.payload, run.resume)
            )
    except Exception as exc:
        error = task_error(task_id, exc)
    finish_task(settings, run, stored, kind, error, attempt, waited)
    complete_if_done(settings, run.poll_id)


@dataclass
class Outcome:
    """How one run ended: what it stored, or the error it failed (or is retried) with;
    ``attempt`` and ``waited`` count its earlier throttled tries."""

    run: TaskRun
    stored: StoredObject | None
    kind: str = "bin"
    error: ICloudError | None = None
    attempt: int = 0
    waited: float = 0.0


def finish_task(
    settings: Settings,
    run: TaskRun,
    stored: StoredObject | None,
    kind: str,
    error: ICloudError | None,
    attempt: int = 0,
    waited: float = 0.0,
) -> None:
    """Settle the task's lease with its outcome: result and events, a throttled retry,
    or its failure; a run that lost its lease publishes nothing."""
    finish_tasks(settings, [Outcome(run, stored, kind, error, attempt, waited)])


def finish_tasks(settings: Settings, outcomes: Sequence[Outcome]) -> None:
    """Settle several tasks in one transaction, each on its own lease as
    :func:`finish_task` does (a run that lost its lease publishes nothing)."""
    waits: list[float | None] = []
    for done in outcomes:
        wait = (
            None
            if done.stored is not None
            else throttle_wait(settings, done.error, done.attempt, done.waited)
        )
        if (
            wait is not None
            and done.run.apple_id
            and not isinstance(done.error, AccountCoolingDown)
        ):
            # Apple itself throttled: the account's other tasks wait as long as this one.
            _breaker(settings).trip(done.run.apple_id, wait)
        waits.append(wait)
    with transaction(settings.database_url) as db:
        for done, wait in zip(outcomes, waits, strict=True):
            _settle(db, settings, done, wait)
    for done in outcomes:
        run = done.run
        source_id, target = run.task.source_id, run.task.target or ""
        if done.stored is not None and run.resume.left is not None and source_id:
            keep_cursor(settings, source_id, target, run.resume.left, run.listing_started)


def _settle(db: DbSession, settings: Settings, done: Outcome, wait: float | None) -> None:
    run, stored, kind, error = done.run, done.stored, done.kind, done.error
    task_id, store = run.task_id, run.store
    now = utcnow()
    if stored is not None:
        outcome: dict[str, Any] = {"state": "succeeded", "date_completed": now}
    elif wait is not None:
        # Expected back from the queue's schedule in ``wait`` s (see jobs.reclaim).
        due = now + timedelta(seconds=wait + settings.task_lease_seconds)
        outcome = {"state": "pending", "date_started": None, "lease_expires": due}
    else:
        assert error is not None
        outcome = {"state": "failed", "error": error.code, "date_completed": now}
    # Only the run still holding the lease publishes: a result and its events once.
    if not job_leases.settle(db, Task, task_id, run.owner, **outcome):
        log.warning("task %s was taken back (or removed) while it ran", task_id)
        if stored is not None and store is not None and not _published(db, stored):
            store.delete(stored.location)
        return
    loaded = _load_task(db, task_id)
    if loaded is None:
        return
    task, poll, session = loaded
    if stored is not None:
        result = Result(
            organisation_id=task.organisation_id,
            poll_id=poll.id,
            task_id=task.id,
            identifier=task.target or "",
            type=kind,
            storage=stored.storage,
            storage_config_id=run.storage_config_id,
            location=stored.location,
            url=stored.url,
            size=stored.size,
            checksum=stored.checksum,
            date_expires=utcnow() + _ttl(settings),
        )
        db.add(result)
        db.flush()
        emit(
            db,
            task.organisation_id,
            task.key_id,
            "result",
            "created",
            serialize_result(result),
        )
        emit(
            db,
            task.organisation_id,
            task.key_id,
            "task",
            "succeeded",
            _serialize_task(db, task),
        )
    elif wait is not None:
        # Apple throttles: try again later rather than fail (see jobs.throttling).
        log.info("task %s throttled; retry %d in %.1f s", task_id, done.attempt + 1, wait)
        retry = (task_id, done.attempt + 1, done.waited + wait, wait)
        on_commit(db, lambda: schedule_task_retry(settings, *retry))
    else:
        assert error is not None
        # Other workers fail tasks of this poll at the same time: append atomically.
        entry: dict[str, Any] = {"task": task.id, "target": task.target, "error": error.code}
        if error.info:  # what the caller needs to act: Apple's reason, when to retry
            entry["error_info"] = error.info
        append_poll_error(db, poll.id, entry)
        if isinstance(error, SessionExpired):
            _expire_session(db, session)
        emit(db, task.organisation_id, task.key_id, "task", "failed", _serialize_task(db, task))


def _published(db: DbSession, stored: StoredObject) -> bool:
    """Whether a result row (of the run that kept the lease) points at this object."""
    return bool(db.scalar(select(func.count()).where(Result.location == stored.location)))


def _ttl(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.result_ttl_seconds)
