"""A files batch pauses its transfers while another tenant's short job is queued or runs.

A one-task poll of another organisation (or key) runs on the short lane's free thread
(:mod:`cloudtap.jobs.lanes`) beside the batch, but in the same process and on the same
cores: the batch's transfers (TLS, hashing, writes and the event loop that drives them,
on the same GIL) slow every step of it, and Apple's side (the sandbox, on the same
machine) serves the batch's downloads beside it. So while such a job waits or runs, the
batch starts no file, reads no further byte of the files in flight (their connections
stay open, and TCP holds the rest at the sender) and settles none (its writes would take
SQLite's one writer from that job's).

Bounded, so the batch always progresses: a pause lasts at most ``MAX_PAUSE_SECONDS``,
and after one the batch runs at least ``MIN_RUN_SECONDS`` before it pauses again (at
least half the time however many short jobs others send); only jobs queued within
``fair.SHORT_JOB_SECONDS`` count, so a long listing of another tenant shares the process
with the batch as before. A tenant alone never pauses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator

log = logging.getLogger(__name__)

# How often the batch asks whether another tenant's short job waits or runs.
CHECK_SECONDS = 0.05
MAX_PAUSE_SECONDS = 0.5
MIN_RUN_SECONDS = 0.5

# The batches watching in this process, woken at once when a short job is queued here
# (``notice_short_job``) instead of at their next look.
_watching: dict[MakingWay, asyncio.AbstractEventLoop] = {}
_watching_guard = threading.Lock()


def notice_short_job() -> None:
    """A tenant's short job was just queued in this process: every batch looks now."""
    with _watching_guard:
        watching = list(_watching.items())
    for way, loop in watching:
        with contextlib.suppress(RuntimeError):  # its loop just closed: nothing to wake
            loop.call_soon_threadsafe(way.wake)


@contextlib.contextmanager
def _registered(way: MakingWay) -> Iterator[None]:
    with _watching_guard:
        _watching[way] = asyncio.get_running_loop()
    try:
        yield
    finally:
        with _watching_guard:
            _watching.pop(way, None)


class MakingWay:
    """Whether the batch may move bytes now. :meth:`look` asks ``others_active`` (a
    database read, run in a thread) and starts or ends a pause; :meth:`watch` looks every
    ``CHECK_SECONDS`` beside the transfers."""

    def __init__(self, others_active: Callable[[], bool], poll_id: str = "-") -> None:
        self._others_active = others_active
        self._poll_id = poll_id
        self._clear = asyncio.Event()
        self._clear.set()
        self._stop = asyncio.Event()
        self._woken = asyncio.Event()
        self._paused_since: float | None = None
        self._no_pause_until = float("-inf")
        self.pauses = 0

    def is_clear(self) -> bool:
        """Whether the batch may go on (asked from its claiming thread too)."""
        return self._clear.is_set()

    async def clear(self) -> None:
        """Returns at once unless the batch is pausing for another tenant's job."""
        await self._clear.wait()

    async def look(self) -> None:
        """Start a pause if another tenant's short job waits or runs (and the batch has
        had its own share since the last one); end it once that job is gone or the pause
        has lasted ``MAX_PAUSE_SECONDS``."""
        now = time.monotonic()
        if self._paused_since is None:
            if now >= self._no_pause_until and await self._asked():
                self._paused_since = now
                self.pauses += 1
                self._clear.clear()
                log.info("file batch of poll %s pauses for another tenant's job", self._poll_id)
            return
        if now - self._paused_since >= MAX_PAUSE_SECONDS or not await self._asked():
            self._paused_since = None
            self._no_pause_until = time.monotonic() + MIN_RUN_SECONDS
            self._clear.set()

    async def watch(self) -> None:
        """Looks until :meth:`stop` (every ``CHECK_SECONDS``, or at once when woken),
        then lets the batch's transfers go."""
        with _registered(self):
            while not self._stop.is_set():
                await self.look()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._woken.wait(), CHECK_SECONDS)
                self._woken.clear()
        self._clear.set()

    def wake(self) -> None:
        self._woken.set()

    def stop(self) -> None:
        self._stop.set()
        self._woken.set()
        self._clear.set()

    async def _asked(self) -> bool:
        try:
            return await asyncio.to_thread(self._others_active)
        except Exception as exc:  # a database blip: no pause, ask again later
            log.warning("could not see other tenants' jobs: %s", type(exc).__name__)
            return False
