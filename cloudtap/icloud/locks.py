"""Per-Apple-ID limits: one login at a time, a few file transfers at a time.

Job workers may run each job on its own event loop and thread, so the lock is a
thread lock awaited politely rather than an ``asyncio.Lock`` bound to one loop. Two
worker *processes* (the Redis queue case) are not covered: their logins could overlap.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from cloudtap.icloud.errors import ICloudError


class LockTimeout(ICloudError):
    code = "login-in-progress"


_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}


def _lock_for(apple_id: str) -> threading.Lock:
    key = apple_id.strip().lower()
    with _guard:
        return _locks.setdefault(key, threading.Lock())


@asynccontextmanager
async def apple_id_lock(apple_id: str, timeout: float = 120.0) -> AsyncIterator[None]:
    lock = _lock_for(apple_id)
    deadline = time.monotonic() + timeout
    delay = 0.01
    while not lock.acquire(blocking=False):
        if time.monotonic() > deadline:
            raise LockTimeout("another login of this Apple ID is still running")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.25)
    try:
        yield
    finally:
        lock.release()


DOWNLOADS_PER_ACCOUNT = 4
_slots: dict[str, threading.BoundedSemaphore] = {}


def _slots_for(apple_id: str) -> threading.BoundedSemaphore:
    key = apple_id.strip().lower()
    with _guard:
        return _slots.setdefault(key, threading.BoundedSemaphore(DOWNLOADS_PER_ACCOUNT))


@asynccontextmanager
async def download_slot(apple_id: str) -> AsyncIterator[None]:
    """At most ``DOWNLOADS_PER_ACCOUNT`` file transfers of one account at a time, so a
    poll with thousands of files does not look like an attack to Apple."""
    slots = _slots_for(apple_id)
    delay = 0.01
    while not slots.acquire(blocking=False):
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.25)
    try:
        yield
    finally:
        slots.release()
