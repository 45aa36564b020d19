"""A poll's file tasks run by one job: a few transfers at a time over one shared client.

As many transfers run at once as the account has download slots (:mod:`jobs.locks`), so
the per-account bound is reached instead of being spent on a job, an event loop, a
client, new TLS tunnels and a record lookup per file. Each task is still claimed,
renewed and settled on its own lease, so its result and events are published once even
when this job dies: one heartbeat thread renews the leases of the tasks in flight and
keeps the batch's waiting tasks postponed, so the sweeper (:mod:`jobs.reclaim`) leaves
them alone while the job lives and enqueues them one by one once it is gone. A throttled
file takes the one-task retry path (:mod:`jobs.throttling`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import AsyncExitStack, contextmanager
from typing import Any, Protocol

from sqlalchemy import select

from cloudtap.config import Settings, get_settings
from cloudtap.icloud.connector import Connector, FileStream
from cloudtap.jobs.heartbeat import new_owner
from cloudtap.jobs.locks import lock_provider_for
from cloudtap.jobs.polling import (
    TaskRun,
    complete_if_done,
    finish_task,
    ready_connector,
    start_task,
    store_file,
    task_error,
)
from cloudtap.publish.store import StoredObject
from cloudtap.store import job_leases
from cloudtap.store.db import transaction
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Task

log = logging.getLogger(__name__)

_IDS_PER_QUERY = 500


class Opener(Protocol):
    async def open(self, file_id: str) -> FileStream: ...


class BatchLeases:
    """The batch's heartbeat: renews held task leases, postpones waiting tasks."""

    def __init__(self, settings: Settings, task_ids: Sequence[str]) -> None:
        self._settings = settings
        self._waiting = set(task_ids)
        self._held: dict[str, str] = {}
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cloudtap-lease", daemon=True)

    def take(self, task_id: str, owner: str) -> None:
        with self._guard:
            self._waiting.discard(task_id)
            self._held[task_id] = owner

    def done(self, task_id: str) -> None:
        with self._guard:
            self._held.pop(task_id, None)

    def beat(self) -> None:
        with self._guard:
            waiting, held = list(self._waiting), list(self._held.items())
        ttl, now = self._settings.task_lease_seconds, utcnow()
        with transaction(self._settings.database_url) as db:
            # A False renew is a task not claimed yet or taken back: its settle tells.
            for task_id, owner in held:
                job_leases.renew(db, Task, task_id, owner, ttl)
            for task_id in waiting:
                job_leases.postpone(db, Task, task_id, now, ttl)

    def _run(self) -> None:
        while not self._stop.wait(self._settings.task_lease_seconds / 3):
            try:
                self.beat()
            except Exception as exc:  # a database blip: the next beat tries again
                log.warning("lease renewal of a file batch failed: %s", type(exc).__name__)

    @contextmanager
    def running(self) -> Iterator[BatchLeases]:
        self.beat()
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(timeout=10)


def run_file_batch(poll_id: str, task_ids: list[str]) -> None:
    settings = get_settings()
    with BatchLeases(settings, task_ids).running() as leases:
        asyncio.run(_run(settings, task_ids, leases))
    complete_if_done(settings, poll_id)


def _targets(settings: Settings, task_ids: list[str]) -> list[str]:
    """The file ids of the batch, so their records can be looked up many at a time."""
    found: dict[str, str] = {}
    with transaction(settings.database_url) as db:
        for start in range(0, len(task_ids), _IDS_PER_QUERY):
            chunk = task_ids[start : start + _IDS_PER_QUERY]
            rows = db.execute(select(Task.id, Task.target).where(Task.id.in_(chunk)))
            found.update((task_id, target or "") for task_id, target in rows.tuples())
    return [found[task_id] for task_id in task_ids if task_id in found]


async def _run(settings: Settings, task_ids: list[str], leases: BatchLeases) -> None:
    queue = deque(task_ids)
    targets = await asyncio.to_thread(_targets, settings, task_ids)
    async with _Openers(targets) as openers:
        slots = max(1, lock_provider_for(settings).downloads_per_account)
        # Twice as many workers as transfers: one's claim and commits overlap another's
        # transfer, so the account's slots stay busy (the slots still bound transfers).
        transfers = asyncio.Semaphore(slots)

        async def worker() -> None:
            while queue:
                await _one(settings, queue.popleft(), leases, openers, transfers)

        await asyncio.gather(*(worker() for _ in range(min(2 * slots, len(task_ids)))))


async def _one(
    settings: Settings,
    task_id: str,
    leases: BatchLeases,
    openers: _Openers,
    transfers: asyncio.Semaphore,
) -> None:
    owner = new_owner()
    leases.take(task_id, owner)
    try:
        run = await asyncio.to_thread(start_task, settings, task_id, owner)
        if run is None:
            return
        stored: StoredObject | None = None
        kind, error = "bin", None
        try:
            async with transfers:
                stored, kind = await _download(settings, run, openers)
        except Exception as exc:
            error = task_error(task_id, exc)
        await asyncio.to_thread(finish_task, settings, run, stored, kind, error)
    finally:
        leases.done(task_id)


async def _download(
    settings: Settings, run: TaskRun, openers: _Openers
) -> tuple[StoredObject, str]:
    connector = ready_connector(settings, run)
    assert run.store is not None and run.state is not None
    target = run.task.target or ""
    opener = await openers.get(connector, run.state)
    stream = (
        await opener.open(target)
        if opener is not None
        else await connector.open_file(run.state, target)
    )
    return await store_file(run.store, run.task, stream)


class _Openers:
    """The one shared opener of the batch, made on first use (None: the connector has
    no batch opener, each file is opened on its own)."""

    def __init__(self, targets: list[str]) -> None:
        self._targets = targets
        self._stack = AsyncExitStack()
        self._guard = asyncio.Lock()
        self._opener: Opener | None = None
        self._tried = False

    async def __aenter__(self) -> _Openers:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def get(self, connector: Connector, state: dict[str, Any]) -> Opener | None:
        async with self._guard:
            if self._opener is None and not self._tried:
                batch = getattr(connector, "file_batch", None)
                if batch is None:
                    self._tried = True
                    return None
                # On failure this file fails with the error; the next one tries again.
                self._opener = await self._stack.enter_async_context(batch(state, self._targets))
            return self._opener
