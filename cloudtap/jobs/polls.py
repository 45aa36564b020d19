"""The poll job: plan one task per info type, data type and file, then queue them.

A poll is claimed under a lease, planned outside any transaction (the connector may ask
Apple whether the session still works), then its tasks and their events are written in
one transaction that also gives the lease up. A poll is ``completed`` once none of its
tasks is left pending or processing (:func:`complete_in`); the check runs in each task's
settling unit of work, after its settle, with the poll's row locked on PostgreSQL, so the
last task to finish always sees the others done.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, exists, func, select, update
from sqlalchemy.orm import Session as DbSession

from cloudtap.config import Settings, get_settings
from cloudtap.crypto.sealing import SealError
from cloudtap.icloud.connector import Connector
from cloudtap.icloud.errors import AdpEnabled, ICloudError, RateLimited, SessionExpired
from cloudtap.jobs.connectors import connector_for
from cloudtap.jobs.fair import wake_workers
from cloudtap.jobs.heartbeat import Heartbeat, new_owner
from cloudtap.jobs.job_errors import InternalError, WorkerLost
from cloudtap.jobs.session_state import expire_session, open_session_state
from cloudtap.jobs.vault import seal_state, session_context
from cloudtap.publish.events import emit
from cloudtap.store import fair_queue, job_leases
from cloudtap.store.db import on_commit, transaction
from cloudtap.store.fair_queue import Tenant
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Poll, Session, Source, Task
from cloudtap.store.poll_errors import append_poll_error
from cloudtap.wire.polls import serialize_poll
from cloudtap.wire.tasks import serialize_task

log = logging.getLogger(__name__)

TASK_INFO, TASK_DATA, TASK_FILE = "icloud.info", "icloud.data", "icloud.file"
_OPEN_STATES = ("pending", "processing")
# A poll checks (and renews) the Apple web session first unless the session was used
# this recently (our choice, not Apple's: tasks renew an ended session themselves): a
# quick follow-up poll then costs only its own requests.
SESSION_CHECK_INTERVAL = timedelta(minutes=5)

Target = tuple[str, str]  # (task type, info type / data type / file id)


def _expand(requested: list[str], available: list[str]) -> list[str]:
    if "*" in requested:
        return list(available)
    return list(dict.fromkeys(requested))


def plan_targets(payload: dict[str, Any], connector: Connector) -> list[Target]:
    targets = [
        (TASK_INFO, t) for t in _expand(payload.get("info_types", []), connector.info_types())
    ]
    targets += [
        (TASK_DATA, t) for t in _expand(payload.get("data_types", []), connector.data_types())
    ]
    targets += [(TASK_FILE, f) for f in dict.fromkeys(payload.get("files", []))]
    return targets


_POLLS = cast(Table, Poll.__table__)
# Built once: run after every task's settle. On PostgreSQL the poll's row is locked
# first, so of two tasks settling at once the later sees the earlier's commit (each
# statement reads what was committed when it started); SQLite has one writer anyway.
_LOCK_POLL = select(_POLLS.c.id).where(_POLLS.c.id == bindparam("poll_id")).with_for_update()
_COMPLETE = (
    update(_POLLS)
    .where(
        _POLLS.c.id == bindparam("poll_id"),
        _POLLS.c.state != "completed",
        ~exists().where(Task.poll_id == bindparam("poll_id"), Task.state.in_(_OPEN_STATES)),
    )
    .values(state="completed", date_completed=bindparam("now", type_=Poll.date_completed.type))
)
_POLL_AFRESH = (
    select(Poll).where(Poll.id == bindparam("poll_id")).execution_options(populate_existing=True)
)


def complete_in(db: DbSession, poll_id: str) -> None:
    """Complete the poll in ``db``'s unit of work if none of its tasks is left open,
    with its ``poll.completed`` event; call it after the unit of work settled a task."""
    params = {"poll_id": poll_id}
    if db.get_bind().dialect.name == "postgresql":
        db.execute(_LOCK_POLL, params)
    changed = db.execute(_COMPLETE, {**params, "now": utcnow()})
    if getattr(changed, "rowcount", 0):
        poll = db.scalars(_POLL_AFRESH, params).one()
        data = serialize_poll(db, poll)
        emit(db, poll.organisation_id, poll.key_id, "poll", "completed", data)


def complete_if_done(settings: Settings, poll_id: str) -> None:
    with transaction(settings.database_url) as db:
        complete_in(db, poll_id)


# Built once, bound per read (a poll's claim reads each).
_POLL = select(Poll).where(Poll.id == bindparam("row_id"))
_SESSION = select(Session).where(Session.id == bindparam("row_id"))
_SOURCE_TYPE = select(Source.type).where(Source.id == bindparam("row_id"))
_SESSION_USED = select(func.max(Poll.date_started), func.max(Poll.date_completed)).where(
    Poll.session_id == bindparam("session_id"), Poll.id != bindparam("poll_id")
)


def _used_recently(db: DbSession, poll: Poll) -> bool:
    """Whether another poll of this session started or ended within
    ``SESSION_CHECK_INTERVAL``: a listing of a million photos runs for half an hour and
    uses the session until its last page, so its end counts as a use, not its start."""
    params = {"session_id": poll.session_id, "poll_id": poll.id}
    started, ended = db.execute(_SESSION_USED, params).one()
    latest = max((m for m in (started, ended) if m is not None), default=None)
    return latest is not None and latest >= utcnow() - SESSION_CHECK_INTERVAL


def _fail_poll(db: DbSession, poll: Poll, error: str, message: str) -> None:
    append_poll_error(db, poll.id, {"error": error, "message": message})


def _source_type(db: DbSession, session: Session) -> str:
    found = db.scalars(_SOURCE_TYPE, {"row_id": session.source_id}).first()
    return found or "icloud.account"


@dataclass
class ClaimedPoll:
    """What planning a claimed poll needs, read under its lease."""

    poll_id: str
    owner: str
    poll: Poll  # as read under the lease (detached): what its tasks copy
    reach: tuple[str, str]  # the session's (environment, source type)
    payload: dict[str, Any]
    recently_used: bool
    state: dict[str, Any] | None  # None: the session had no Apple state left


@dataclass
class Plan:
    """A poll's plan: its targets, the Apple state to keep, or why it could not start."""

    targets: list[Target] = field(default_factory=list)
    refreshed: dict[str, Any] | None = None
    failure: ICloudError | None = None


def _claim(settings: Settings, poll_id: str, owner: str) -> ClaimedPoll | None:
    """Claim a pending poll and read what planning it needs; None if it is not ours.
    Planning commits its tasks and gives the lease up at once, so a poll taken back
    from a dead worker has no tasks yet: it is simply planned again."""
    with transaction(settings.database_url) as db:
        poll = db.scalars(_POLL, {"row_id": poll_id}).first()
        if poll is None or poll.state != "pending":
            return None
        if not job_leases.claim(db, Poll, poll_id, owner, settings.task_lease_seconds):
            return None  # another worker took it (a message enqueued twice)
        if poll.reclaims >= settings.task_max_attempts:
            job_leases.settle(db, Poll, poll_id, owner)
            _fail_poll(db, poll, WorkerLost.code, "Workers died while planning this poll.")
            on_commit(db, lambda: complete_if_done(settings, poll_id))
            return None
        session = db.scalars(_SESSION, {"row_id": poll.session_id}).one()
        try:
            state: dict[str, Any] | None = open_session_state(settings, session)
        except (SessionExpired, SealError):
            expire_session(db, session)
            _fail_poll(db, poll, "session-expired", "The session has expired.")
            state = None
        return ClaimedPoll(
            poll_id=poll_id,
            owner=owner,
            poll=poll,
            reach=(session.environment, _source_type(db, session)),
            payload=dict(poll.payload or {}),
            recently_used=_used_recently(db, poll),
            state=state,
        )


def _plan(claimed: ClaimedPoll) -> Plan:
    """The poll's targets (and the Apple state to keep if the connector renewed it), or
    the failure that keeps it from starting."""
    assert claimed.state is not None
    try:
        connector = connector_for(*claimed.reach)
        try:
            # Tasks renew an ended web session themselves; checking it up front only
            # pays when the session has not been used for a while.
            refreshed = (
                None if claimed.recently_used else asyncio.run(connector.validate(claimed.state))
            )
        except (AdpEnabled, RateLimited):
            # Apple answers these per service: let each task get its own verdict.
            refreshed = None
        return Plan(plan_targets(claimed.payload, connector), refreshed)
    except ICloudError as exc:
        return Plan(failure=exc)
    except Exception as exc:
        log.error("poll %s could not start: %s", claimed.poll_id, type(exc).__name__)
        return Plan(failure=InternalError())


def _new_tasks(db: DbSession, poll: Poll, source_type: str, targets: list[Target]) -> list[Task]:
    """The poll's tasks and their ``task.created`` events, written in two flushes."""
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
        # A new task has no results: nothing to read; its events go in one flush.
        data = serialize_task(db, task, results=[])
        emit(db, task.organisation_id, task.key_id, "task", "created", data, flush=False)
    db.flush()
    return tasks


def _task_jobs(poll_id: str, tasks: list[Task]) -> list[tuple[str, list[Any]]]:
    """The jobs that run the poll's tasks: its files as one batch job (a few transfers at
    a time over one client), the others one job each."""
    files = [task.id for task in tasks if task.type == TASK_FILE]
    batched = set(files) if len(files) > 1 else set()
    jobs: list[tuple[str, list[Any]]] = [
        ("task", [task.id]) for task in tasks if task.id not in batched
    ]
    if batched:
        jobs.append(("file_batch", [poll_id, files]))
    return jobs


def _session_of(db: DbSession, poll: Poll) -> Session:
    return db.scalars(_SESSION, {"row_id": poll.session_id}).one()


def _record(settings: Settings, claimed: ClaimedPoll, plan: Plan) -> list[Task] | None:
    """Give the lease up with the plan's outcome: the tasks and their events, the
    renewed Apple state, or the poll's failure. None if the lease was lost."""
    with transaction(settings.database_url) as db:
        if not job_leases.settle(db, Poll, claimed.poll_id, claimed.owner):
            log.warning("poll %s was taken back while it was planned", claimed.poll_id)
            return None
        # The poll as claimed: what its tasks copy from it does not change.
        poll = claimed.poll
        if isinstance(plan.failure, SessionExpired):
            expire_session(db, _session_of(db, poll))
            _fail_poll(db, poll, plan.failure.code, "The session has expired.")
        elif plan.failure is not None:
            _fail_poll(db, poll, plan.failure.code, str(plan.failure))
        elif plan.refreshed is not None:
            session = _session_of(db, poll)
            sealed = seal_state(settings, session_context(session.id), plan.refreshed)
            session.state_sealed, session.state_key_id = sealed.blob, sealed.key_id
        jobs: list[tuple[str, list[Any]]] = []
        # Registered before the tasks' events, so the work is queued ahead of their
        # webhook deliveries (a free worker takes the batch, not 500 first attempts).
        on_commit(db, lambda: wake_workers(settings, len(jobs)))
        tasks = _new_tasks(db, poll, claimed.reach[1], plan.targets)
        # The tasks' jobs commit with them: no transaction or tenant lookup of their own.
        jobs += _task_jobs(claimed.poll_id, tasks)
        if jobs:
            fair_queue.push_many(db, Tenant(poll.organisation_id, poll.key_id or ""), jobs)
    return tasks


def run_poll(poll_id: str) -> None:
    settings = get_settings()
    log.info("poll job for %s", poll_id)  # ids only: which worker ran what
    claimed = _claim(settings, poll_id, new_owner())
    if claimed is None:
        return
    plan = Plan()
    if claimed.state is not None:
        with Heartbeat(settings, Poll, poll_id, claimed.owner).running():
            plan = _plan(claimed)
    if _record(settings, claimed, plan) == []:
        complete_if_done(settings, poll_id)  # nothing to run: done (with its errors)
