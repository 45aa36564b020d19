"""A poll's file tasks run by one job: a few transfers at a time over one shared client.

As many transfers run at once as the account has download slots (:mod:`jobs.locks`), so
the per-account bound is reached instead of being spent on a job, an event loop, a
client, new TLS tunnels and a record lookup per file. Each task is still claimed,
renewed and settled on its own lease, so its result and events are published once even
when this job dies: one heartbeat thread renews the leases of the tasks in flight and
keeps the batch's waiting tasks postponed, so the sweeper (:mod:`jobs.reclaim`) leaves
them alone while the job lives and enqueues them one by one once it is gone. A throttled
file takes the one-task retry path (:mod:`jobs.throttling`).

While another tenant's job waits its turn (:mod:`jobs.fair`), a batch that has run for
``MIN_TURN_SECONDS`` and started at least one file stops starting transfers, gives its
claimed but unstarted tasks back (pending, postponed), lets the transfers in flight
finish, and queues the rest of its files as a new batch behind the waiting job: its
worker is free within a file. While another tenant's short job is queued or running, the
batch pauses its transfers for a bounded while (:mod:`jobs.making_way`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, contextmanager
from datetime import timedelta
from functools import partial
from typing import Any, Protocol

from sqlalchemy import select

from cloudtap.config import Settings, get_settings
from cloudtap.icloud.connector import Connector, FileInfo, FileStream
from cloudtap.jobs.breaker import AccountBreaker
from cloudtap.jobs.dispatch import enqueue_file_batch
from cloudtap.jobs.fair import OthersWaiting, others_short_job_active, tenant_of
from cloudtap.jobs.heartbeat import new_owner
from cloudtap.jobs.job_errors import task_error
from cloudtap.jobs.locks import lock_provider_for
from cloudtap.jobs.making_way import MakingWay
from cloudtap.jobs.polls import complete_if_done
from cloudtap.jobs.settling import Outcome, finish_tasks
from cloudtap.jobs.task_runs import TaskRun, claim_while, ready_connector, store_file
from cloudtap.publish.store import StoredObject
from cloudtap.store import job_leases
from cloudtap.store.db import transaction
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Task
from cloudtap.store.writer_gate import bulk_writes

log = logging.getLogger(__name__)

_IDS_PER_QUERY = 500
# Tasks claimed in one transaction, a few ahead of the transfers.
CLAIM_GROUP = 16
# A transfer worker gives its download slot back after holding it this long, so the
# account's other batches (other polls, other processes) get their turn.
SLOT_HOLD_SECONDS = 5.0
# A finished transfer waits at most this long for others to be settled with it.
SETTLE_WAIT_SECONDS = 0.1
# How stale the batch's view of the account's throttling breaker may be.
BREAKER_CHECK_SECONDS = 0.5
# A batch runs at least this long before giving its worker to another tenant, so two
# tenants' batches do not hand workers back and forth file by file.
MIN_TURN_SECONDS = 0.1


class Opener(Protocol):
    async def open(self, file_id: str, *, slot_held: bool = False) -> FileStream: ...

    def slot(self) -> AbstractAsyncContextManager[None]: ...


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

    def untake(self, task_id: str) -> None:
        """Not claimed after all: waiting again (postponed by the next beats)."""
        with self._guard:
            self._held.pop(task_id, None)
            self._waiting.add(task_id)

    def beat(self) -> None:
        with self._guard:
            waiting, held = list(self._waiting), list(self._held.items())
        ttl, now = self._settings.task_lease_seconds, utcnow()
        with transaction(self._settings.database_url) as db:
            # A False renew is a task not claimed yet or taken back: its settle tells.
            for task_id, owner in held:
                job_leases.renew(db, Task, task_id, owner, ttl)
            for start in range(0, len(waiting), _IDS_PER_QUERY):
                chunk = waiting[start : start + _IDS_PER_QUERY]
                job_leases.postpone_many(db, Task, chunk, now, ttl)

    def _run(self) -> None:
        with bulk_writes():
            self._renew_until_stopped()

    def _renew_until_stopped(self) -> None:
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
    # The batch's claims and settles let other jobs' and the API's writes go first
    # (to_thread and asyncio tasks carry this context along).
    with bulk_writes():
        _run_file_batch(poll_id, task_ids)


def _run_file_batch(poll_id: str, task_ids: list[str]) -> None:
    settings = get_settings()
    tenant = tenant_of(settings, "file_batch", poll_id)
    others_waiting = OthersWaiting(settings, tenant) if tenant is not None else _nobody
    others_short = partial(others_short_job_active, settings, tenant) if tenant else _nobody
    with BatchLeases(settings, task_ids).running() as leases:
        rest = asyncio.run(
            _run(settings, task_ids, leases, others_waiting, MakingWay(others_short, poll_id))
        )
    if rest:
        enqueue_file_batch(settings, poll_id, rest)  # behind the job that waited
        return
    complete_if_done(settings, poll_id)


def _nobody() -> bool:
    return False


def _targets(settings: Settings, task_ids: list[str]) -> list[str]:
    """The file ids of the batch, so their records can be looked up many at a time."""
    found: dict[str, str] = {}
    with transaction(settings.database_url) as db:
        for start in range(0, len(task_ids), _IDS_PER_QUERY):
            chunk = task_ids[start : start + _IDS_PER_QUERY]
            rows = db.execute(select(Task.id, Task.target).where(Task.id.in_(chunk)))
            found.update((task_id, target or "") for task_id, target in rows.tuples())
    return [found[task_id] for task_id in task_ids if task_id in found]


async def _run(
    settings: Settings,
    task_ids: list[str],
    leases: BatchLeases,
    others_waiting: Callable[[], bool],
    way: MakingWay,
) -> list[str]:
    """Runs the batch; the ids of the tasks it left for later (it gave its turn up)."""
    targets = await asyncio.to_thread(_targets, settings, task_ids)
    await way.look()  # a batch started beside another tenant's short job starts no file
    watching = asyncio.create_task(way.watch())
    try:
        async with _Openers(targets) as openers:
            slots = max(1, lock_provider_for(settings).downloads_per_account)
            pipeline = _Pipeline(settings, task_ids, leases, openers, slots, others_waiting, way)
            return await pipeline.run()
    finally:
        way.stop()
        await watching


class _Pipeline:
    """Claims, transfers and settles overlap: tasks are claimed a group at a time (one
    transaction), ``slots`` transfers run at once, and whatever finished meanwhile is
    settled together (one transaction: results, events, leases)."""

    def __init__(
        self,
        settings: Settings,
        task_ids: list[str],
        leases: BatchLeases,
        openers: _Openers,
        slots: int,
        others_waiting: Callable[[], bool],
        way: MakingWay,
    ) -> None:
        self.settings = settings
        self.way = way
        self.unclaimed = deque(task_ids)
        self.leases = leases
        self.openers = openers
        self.slots = slots
        self.claimed: deque[TaskRun] = deque()
        self.finished: list[Outcome] = []
        self.claiming: asyncio.Task[None] | None = None
        self.settled_all = asyncio.Event()
        self.wake_settler = asyncio.Event()
        self.transfers_left = slots
        self.breaker = _BreakerView(settings)
        self.others_waiting = others_waiting
        self.turn_ends = time.monotonic() + MIN_TURN_SECONDS
        self.yielding = False
        self.started = 0

    async def run(self) -> list[str]:
        transfers = [asyncio.create_task(self._transfers()) for _ in range(self.slots)]
        settler = asyncio.create_task(self._settler())
        try:
            await asyncio.gather(*transfers)
        finally:
            self.transfers_left = 0
            self.wake_settler.set()
            await settler
        if not self.yielding:
            return []
        unstarted = [run.task_id for run in self.claimed]
        if unstarted:
            await asyncio.to_thread(_give_back, self.settings, list(self.claimed))
            for task_id in unstarted:
                self.leases.done(task_id)
        return unstarted + list(self.unclaimed)

    async def _turn_is_over(self) -> bool:
        # Each turn starts at least one file: batches handing workers back and forth
        # always make progress.
        if not self.yielding and self.started and time.monotonic() >= self.turn_ends:
            try:
                self.yielding = await asyncio.to_thread(self.others_waiting)
            except Exception as exc:  # a database blip: keep the turn, ask again later
                log.warning("could not see the fair queue: %s", type(exc).__name__)
        return self.yielding

    async def _next(self) -> TaskRun | None:
        """The next claimed run (None once all are); the next group is claimed ahead,
        while the transfers still have a few, so they never wait for a claim."""
        while True:
            await self.way.clear()  # no new file while another tenant's short job runs
            if await self._turn_is_over():
                if self.claiming is not None:
                    await asyncio.wait({self.claiming})  # its runs are given back
                return None
            if self.claiming is None and self.unclaimed and len(self.claimed) <= self.slots:
                self.claiming = asyncio.create_task(self._claim())
            if self.claimed:
                self.started += 1
                return self.claimed.popleft()
            if self.claiming is None:
                return None
            await asyncio.wait({self.claiming})

    async def _claim(self) -> None:
        group = [self.unclaimed.popleft() for _ in range(min(CLAIM_GROUP, len(self.unclaimed)))]
        owner = new_owner()
        for task_id in group:
            self.leases.take(task_id, owner)
        left: list[str] = []
        try:
            # Stops claiming while the batch makes way: the rest are claimed later.
            runs, left = await asyncio.to_thread(
                claim_while, self.settings, group, owner, self.way.is_clear
            )
        except Exception as exc:  # a database blip: the sweeper requeues them
            log.warning("claiming file tasks failed: %s", type(exc).__name__)
            runs = []
        finally:
            self.claiming = None
        for task_id in reversed(left):
            self.unclaimed.appendleft(task_id)
            self.leases.untake(task_id)
        got = {run.task_id for run in runs}.union(left)
        for task_id in group:
            if task_id not in got:
                self.leases.done(task_id)
        self.claimed.extend(runs)

    async def _transfers(self) -> None:
        slot = _HeldSlot()
        try:
            while (run := await self._next()) is not None:
                stored: StoredObject | None = None
                kind, error = "bin", None
                try:
                    stored, kind = await _download(
                        self.settings, run, self.openers, slot, self.breaker, self.way
                    )
                except Exception as exc:
                    error = task_error(run.task_id, exc)
                self.finished.append(Outcome(run, stored, kind, error))
                self.wake_settler.set()
                if slot.held_for() > SLOT_HOLD_SECONDS:
                    await slot.release()  # the account's other batches get their turn
        finally:
            await slot.release()

    async def _settler(self) -> None:
        while True:
            if not self.finished:
                if self.transfers_left == 0:
                    return
                await self.wake_settler.wait()
                self.wake_settler.clear()
                continue
            if self.transfers_left and len(self.finished) < self.slots and not self.yielding:
                # Let a few more finish: one commit (and one queue write for their
                # events) then settles them all; not while the worker is wanted elsewhere.
                await asyncio.sleep(SETTLE_WAIT_SECONDS)
            # Not while making way: the settle's writes would hold SQLite's one writer
            # (and the GIL) while the other tenant's job writes (bounded by the pause).
            await self.way.clear()
            done, self.finished = self.finished, []
            try:
                await asyncio.to_thread(finish_tasks, self.settings, done)
            except Exception as exc:  # their leases lapse; the sweeper runs them again
                log.error("settling %d file tasks failed: %s", len(done), type(exc).__name__)
            self.breaker.forget()  # a throttled file of these has tripped it
            for outcome in done:
                self.leases.done(outcome.run.task_id)


def _give_back(settings: Settings, runs: Sequence[TaskRun]) -> None:
    """Claimed tasks not started: pending again, expected back within a lease (the next
    batch postpones them further while it waits)."""
    due = utcnow() + timedelta(seconds=settings.task_lease_seconds)
    with transaction(settings.database_url) as db:
        for run in runs:
            job_leases.settle(
                db, Task, run.task_id, run.owner, state="pending", date_started=None,
                lease_expires=due,
            )  # fmt: skip


async def _download(
    settings: Settings,
    run: TaskRun,
    openers: _Openers,
    slot: _HeldSlot,
    breaker: _BreakerView,
    way: MakingWay,
) -> tuple[StoredObject, str]:
    connector = ready_connector(settings, run, breaker.is_open)
    assert run.store is not None and run.state is not None
    target = run.task.target or ""
    opener = await openers.get(connector, run.state)
    if opener is None:
        stream = await connector.open_file(run.state, target)  # takes a slot per file
    else:
        await slot.take(opener)
        stream = await opener.open(target, slot_held=True)
    return await store_file(run.store, run.task, _Paced(stream, way))


class _Paced:
    """A file's stream that reads no further chunk while the batch makes way."""

    def __init__(self, stream: FileStream, way: MakingWay) -> None:
        self.info: FileInfo = stream.info
        self._stream = stream
        self._way = way

    async def iter_bytes(self, offset: int = 0) -> AsyncIterator[bytes]:
        async for chunk in self._stream.iter_bytes(offset):
            yield chunk
            await self._way.clear()


class _BreakerView:
    """The account breaker's answer, asked of the lease store at most every
    ``BREAKER_CHECK_SECONDS`` (not once per file); forgotten whenever the batch itself
    settles, since a throttled file of its own trips it then."""

    def __init__(self, settings: Settings) -> None:
        self._breaker = AccountBreaker(lock_provider_for(settings).store)
        self._known: dict[str, tuple[bool, float]] = {}

    def is_open(self, apple_id: str) -> bool:
        now = time.monotonic()
        known = self._known.get(apple_id)
        if known is None or now - known[1] > BREAKER_CHECK_SECONDS:
            known = self._known[apple_id] = (self._breaker.is_open(apple_id), now)
        return known[0]

    def forget(self) -> None:
        self._known.clear()


class _HeldSlot:
    """One of the account's download slots, held by a transfer worker from file to file
    (taking and giving one back costs a write to the shared lease store each)."""

    def __init__(self) -> None:
        self._held: AbstractAsyncContextManager[None] | None = None
        self._since = 0.0

    async def take(self, opener: Opener) -> None:
        if self._held is None:
            held = opener.slot()
            await held.__aenter__()
            self._held, self._since = held, time.monotonic()

    def held_for(self) -> float:
        return 0.0 if self._held is None else time.monotonic() - self._since

    async def release(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            await held.__aexit__(None, None, None)


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
