"""``Ricloud-Await`` without holding a thread.

A waiting request parks on an asyncio future; one watcher per event loop and database
reads the states of *all* awaited objects in a single query per tick, on a thread of its
own. So 50 waiting clients cost one query every 0.1 s and no request thread: the shared
thread pool stays free for everybody else's requests. A transaction of this process that
wrote the rows states are read from (``cloudtap.store.changes``: a job of ``serve``
completing a poll) has the states read at once, not at the next tick, at most once per
``MIN_GAP_SECONDS``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from dataclasses import dataclass, field

import anyio
import anyio.to_thread
from sqlalchemy import select

from cloudtap.store import changes
from cloudtap.store.db import transaction
from cloudtap.store.models import Base

TICK_SECONDS = 0.1
# Reads prompted by this process's commits come at most this often.
MIN_GAP_SECONDS = 0.01
# Ids per IN (...) query: well below SQLite's bound-parameter limit.
_CHUNK = 500


@dataclass(eq=False)  # identity-hashed: each waiter is its own entry
class _Waiter:
    model: type[Base]
    object_id: str
    unsettled: tuple[str, ...]
    done: asyncio.Future[None] = field(repr=False)


class SettleWatcher:
    """Resolves waiters once their object's state leaves ``unsettled`` (or it is gone)."""

    def __init__(self, database_url: str, loop: asyncio.AbstractEventLoop) -> None:
        self.database_url = database_url
        self.loop = loop
        self._waiters: set[_Waiter] = set()
        self._task: asyncio.Task[None] | None = None
        self._poke: asyncio.Event | None = None
        # One thread at most for the watcher's reads: it never crowds the request pool.
        self._limiter = anyio.CapacityLimiter(1)

    async def wait(
        self, model: type[Base], object_id: str, unsettled: tuple[str, ...], seconds: float
    ) -> None:
        if seconds <= 0:
            return
        waiter = _Waiter(model, object_id, unsettled, self.loop.create_future())
        self._waiters.add(waiter)
        if self._task is None or self._task.done():
            self._task = self.loop.create_task(self._run())
        try:
            with anyio.move_on_after(seconds):
                await asyncio.shield(waiter.done)
        finally:
            self._waiters.discard(waiter)

    def _committed(self) -> None:
        """A commit on any thread of this process: wake the loop's reader."""
        poke = self._poke
        if poke is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self.loop.call_soon_threadsafe(poke.set)

    async def _run(self) -> None:
        self._poke = asyncio.Event()
        stop_listening = changes.on_committed(self._committed)
        try:
            await self._watch(self._poke)
        finally:
            stop_listening()
            self._poke = None

    async def _watch(self, poke: asyncio.Event) -> None:
        while self._waiters:
            with anyio.move_on_after(TICK_SECONDS):
                await poke.wait()
                await asyncio.sleep(MIN_GAP_SECONDS)  # commits come in bursts
            poke.clear()
            waiting = list(self._waiters)
            if not waiting:
                return
            wanted: dict[type[Base], set[str]] = defaultdict(set)
            for waiter in waiting:
                wanted[waiter.model].add(waiter.object_id)
            states = await anyio.to_thread.run_sync(
                self._read_states, dict(wanted), limiter=self._limiter
            )
            for waiter in waiting:
                state = states.get((waiter.model, waiter.object_id))
                if state not in waiter.unsettled and not waiter.done.done():
                    waiter.done.set_result(None)

    def _read_states(self, wanted: dict[type[Base], set[str]]) -> dict[tuple[type, str], str]:
        found: dict[tuple[type, str], str] = {}
        with transaction(self.database_url) as db:
            for model, ids in wanted.items():
                columns = model.__table__.c
                ordered = sorted(ids)
                for start in range(0, len(ordered), _CHUNK):
                    chunk = ordered[start : start + _CHUNK]
                    rows = db.execute(
                        select(columns.id, columns.state).where(columns.id.in_(chunk))
                    )
                    found.update({(model, row.id): str(row.state) for row in rows})
        return found


_watchers: dict[tuple[int, str], SettleWatcher] = {}


def watcher_for(database_url: str) -> SettleWatcher:
    """This event loop's watcher of ``database_url`` (test clients may run several loops)."""
    loop = asyncio.get_running_loop()
    key = (id(loop), database_url)
    watcher = _watchers.get(key)
    if watcher is None or watcher.loop is not loop:
        for stale in [k for k, w in _watchers.items() if w.loop.is_closed()]:
            del _watchers[stale]
        watcher = _watchers[key] = SettleWatcher(database_url, loop)
    return watcher


async def wait_until_settled(
    database_url: str,
    model: type[Base],
    object_id: str,
    unsettled: tuple[str, ...],
    seconds: float,
) -> None:
    """Return once the object's state is settled, it is gone, or ``seconds`` have passed."""
    await watcher_for(database_url).wait(model, object_id, unsettled, seconds)
