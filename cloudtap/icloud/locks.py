"""Per-Apple-ID limits: one login at a time, a few file transfers at a time.

The limits come from a :class:`LockProvider` the connector is given. The default,
:data:`LOCAL_LOCKS`, covers one process only; a deployment whose jobs run in several
processes (``cloudtap worker`` on a Redis queue) injects a provider backed by what those
processes share, so this library never needs to know about queues or databases.

Job workers may run each job on its own event loop and thread, so the local provider
uses thread primitives awaited politely rather than ``asyncio`` locks bound to one loop.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from cloudtap.icloud.errors import ICloudError

# A second login of the same Apple ID waits this long for the first before giving up.
LOGIN_WAIT_SECONDS = 120.0
# File transfers of one account at a time, so a poll with thousands of files does not
# look like an attack to Apple: what public clients run without reports of throttling
# (docs/apple-evidence.md, "Downloads: how many at once per account").
DOWNLOADS_PER_ACCOUNT = 8


class LockTimeout(ICloudError):
    """Another login of this Apple ID held the lock for longer than we may wait."""

    code = "login-in-progress"


class LockProvider(Protocol):
    def login_lock(
        self, apple_id: str, timeout: float = LOGIN_WAIT_SECONDS
    ) -> AbstractAsyncContextManager[None]:
        """Held for one login step; waits (with back-off) up to ``timeout`` seconds for
        another holder, then raises :class:`LockTimeout`."""
        ...

    def download_slot(self, apple_id: str) -> AbstractAsyncContextManager[None]:
        """Held for one file transfer; at most ``DOWNLOADS_PER_ACCOUNT`` per account.
        Waits (with back-off) until a slot frees up."""
        ...


def account_key(apple_id: str) -> str:
    """Apple IDs are case-insensitive and users paste them with stray spaces."""
    return apple_id.strip().lower()


async def _acquire(
    try_acquire: threading.Lock | threading.BoundedSemaphore, deadline: float | None
) -> None:
    delay = 0.01
    while not try_acquire.acquire(blocking=False):
        if deadline is not None and time.monotonic() > deadline:
            raise LockTimeout("another login of this Apple ID is still running")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.25)


class LocalLocks:
    """One process's limits (the embedded default)."""

    def __init__(self, downloads_per_account: int = DOWNLOADS_PER_ACCOUNT) -> None:
        self.downloads_per_account = downloads_per_account
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._slots: dict[str, threading.BoundedSemaphore] = {}

    def _lock_for(self, apple_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(account_key(apple_id), threading.Lock())

    def _slots_for(self, apple_id: str) -> threading.BoundedSemaphore:
        with self._guard:
            return self._slots.setdefault(
                account_key(apple_id), threading.BoundedSemaphore(self.downloads_per_account)
            )

    @asynccontextmanager
    async def login_lock(
        self, apple_id: str, timeout: float = LOGIN_WAIT_SECONDS
    ) -> AsyncIterator[None]:
        lock = self._lock_for(apple_id)
        await _acquire(lock, time.monotonic() + timeout)
        try:
            yield
        finally:
            lock.release()

    @asynccontextmanager
    async def download_slot(self, apple_id: str) -> AsyncIterator[None]:
        slots = self._slots_for(apple_id)
        await _acquire(slots, None)
        try:
            yield
        finally:
            slots.release()


LOCAL_LOCKS = LocalLocks()


def apple_id_lock(
    apple_id: str, timeout: float = LOGIN_WAIT_SECONDS
) -> AbstractAsyncContextManager[None]:
    """This process's login lock (see :class:`LocalLocks`)."""
    return LOCAL_LOCKS.login_lock(apple_id, timeout)


def download_slot(apple_id: str) -> AbstractAsyncContextManager[None]:
    """This process's download slots (see :class:`LocalLocks`)."""
    return LOCAL_LOCKS.download_slot(apple_id)
