"""The per-Apple-ID login lock and download slots, held across all of a deployment's
processes: the :class:`~cloudtap.icloud.locks.LockProvider` the job layer gives its
connectors.

Leases live beside the job queue (Redis, or a SQLite file next to the queue's), so
``cloudtap serve`` and any number of ``cloudtap worker`` processes see the same ones.
A holder renews its lease every third of ``ttl``; if it dies, the lease lapses after at
most ``ttl`` seconds. Waiting never spins: it backs off (with jitter) up to a second.
A login that cannot get the lock within its timeout fails with ``login-in-progress``;
a download waits until a slot frees up (one always does, at the latest when a dead
holder's lease lapses).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
import secrets
import threading
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from cloudtap.config import Settings
from cloudtap.icloud.locks import (
    DOWNLOADS_PER_ACCOUNT,
    LOGIN_WAIT_SECONDS,
    LockTimeout,
    account_key,
)
from cloudtap.jobs.leases import LeaseStore, RedisLeases, SqliteLeases
from cloudtap.jobs.queue import is_redis, split_queue_name, sqlite_queue_path

log = logging.getLogger(__name__)

# Longer than any pause between two renewals, short enough that a crashed worker's
# lock is free again before a user retries.
LEASE_TTL_SECONDS = 30.0
FIRST_BACKOFF_SECONDS = 0.05
MAX_BACKOFF_SECONDS = 1.0


def lease_name(kind: str, apple_id: str) -> str:
    """Lease names carry a digest, not the Apple ID itself."""
    digest = hashlib.sha256(account_key(apple_id).encode()).hexdigest()[:32]
    return f"{kind}:{digest}"


class SharedLocks:
    def __init__(
        self,
        store: LeaseStore,
        *,
        ttl: float = LEASE_TTL_SECONDS,
        downloads_per_account: int = DOWNLOADS_PER_ACCOUNT,
        max_backoff: float = MAX_BACKOFF_SECONDS,
    ) -> None:
        self.store = store
        self.ttl = ttl
        self.downloads_per_account = downloads_per_account
        self.max_backoff = max_backoff

    def login_lock(
        self, apple_id: str, timeout: float = LOGIN_WAIT_SECONDS
    ) -> AbstractAsyncContextManager[None]:
        return self.hold(lease_name("login", apple_id), 1, timeout)

    def download_slot(self, apple_id: str) -> AbstractAsyncContextManager[None]:
        return self.hold(lease_name("download", apple_id), self.downloads_per_account, None)

    @asynccontextmanager
    async def hold(self, name: str, limit: int, timeout: float | None) -> AsyncIterator[None]:
        """One of ``limit`` leases of ``name`` for the duration of the block."""
        token = secrets.token_hex(16)
        await self._wait_for(name, token, limit, timeout)
        since = time.time()
        keeper = asyncio.create_task(self._keep_alive(name, token))
        try:
            yield
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            # Synchronous on purpose: a cancelled job must still give its lease back.
            try:
                self.store.release(name, token)
            except Exception as exc:  # the lease then lapses after ttl
                log.warning("could not release lease %s: %s", name, type(exc).__name__)
            level = logging.INFO if limit == 1 else logging.DEBUG
            log.log(level, "lease %s held from %.6f to %.6f", name, since, time.time())

    async def _wait_for(self, name: str, token: str, limit: int, timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = FIRST_BACKOFF_SECONDS
        while not await asyncio.to_thread(self.store.try_acquire, name, token, limit, self.ttl):
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise LockTimeout("another login of this Apple ID is still running")
            pause = random.uniform(delay / 2, delay)
            await asyncio.sleep(pause if remaining is None else min(pause, remaining))
            delay = min(delay * 2, self.max_backoff)

    async def _keep_alive(self, name: str, token: str) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                if not await asyncio.to_thread(self.store.renew, name, token, self.ttl):
                    log.warning("lease %s lapsed while held (the loop stalled > ttl)", name)
                    return
            except Exception as exc:  # a store hiccup: try again next round
                log.warning("could not renew lease %s: %s", name, type(exc).__name__)


_guard = threading.Lock()
_providers: dict[str, SharedLocks] = {}


def lease_store_for(queue_url: str) -> LeaseStore:
    """Leases live with the queue: the one thing all processes of a deployment share."""
    if is_redis(queue_url):
        url, queue_name = split_queue_name(queue_url)
        return RedisLeases.from_url(url, prefix=f"cloudtap:{queue_name}:lease:")
    path = sqlite_queue_path(queue_url)
    return SqliteLeases(path.with_name(f"{path.stem}-leases.db"))


def lock_provider_for(settings: Settings) -> SharedLocks:
    with _guard:
        if settings.queue_url not in _providers:
            _providers[settings.queue_url] = SharedLocks(lease_store_for(settings.queue_url))
        return _providers[settings.queue_url]
