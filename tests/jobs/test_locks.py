"""Deployment-wide per-Apple-ID locks on real stores (SQLite file, Redis), across real
processes: mutual exclusion, a dead holder's lease lapsing, release on failure, bounded
and backed-off waiting, download slots shared by several workers."""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudtap.icloud.locks import LockTimeout
from cloudtap.jobs.leases import LeaseStore, RedisLeases, SqliteLeases
from cloudtap.jobs.locks import SharedLocks, lease_name, lease_store_for

REDIS_ENV = "CLOUDTAP_TEST_REDIS_URL"
APPLE_ID = "Same@Example.com"
StoreSpec = tuple[str, str, str]  # (kind, sqlite path or redis url, redis key prefix)


def open_store(spec: StoreSpec) -> LeaseStore:
    kind, where, prefix = spec
    if kind == "redis":
        return RedisLeases.from_url(where, prefix)
    return SqliteLeases(Path(where))


@pytest.fixture(params=["sqlite", "redis"])
def store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreSpec]:
    if request.param == "sqlite":
        yield ("sqlite", str(tmp_path / "leases.db"), "")
        return
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"{REDIS_ENV} is not set (run `source scripts/services`)")
    prefix = f"cloudtap-test-{uuid.uuid4().hex[:8]}:lease:"
    yield ("redis", url, prefix)
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


# --- run in child processes (module-level so ``spawn`` can import them) ---------------
def hold_login_lock_repeatedly(spec: StoreSpec, apple_id: str, rounds: int, out: str) -> None:
    locks = SharedLocks(open_store(spec), ttl=5.0)

    async def run() -> None:
        for _ in range(rounds):
            async with locks.login_lock(apple_id, timeout=60):
                start = time.time()
                await asyncio.sleep(0.05)
                end = time.time()
            with open(out, "a") as fh:
                fh.write(f"{os.getpid()} {start!r} {end!r}\n")

    asyncio.run(run())


def take_login_lock_and_die(spec: StoreSpec, apple_id: str, ttl: float, out: str) -> None:
    locks = SharedLocks(open_store(spec), ttl=ttl)

    async def run() -> None:
        async with locks.login_lock(apple_id):
            Path(out).write_text(repr(time.time()))
            os._exit(0)  # dies holding the lock: no release, no renewal

    asyncio.run(run())


def _spawn(target: Any, *args: Any) -> Any:
    process = multiprocessing.get_context("spawn").Process(target=target, args=args)
    process.start()
    return process


# --- tests ---------------------------------------------------------------------------
def test_two_processes_never_hold_the_login_lock_together(
    store_spec: StoreSpec, tmp_path: Path
) -> None:
    out = tmp_path / "intervals.txt"
    # Case and spaces differ: both name the same Apple ID.
    workers = [
        _spawn(hold_login_lock_repeatedly, store_spec, apple_id, 6, str(out))
        for apple_id in (APPLE_ID, " same@example.com")
    ]
    for process in workers:
        process.join(timeout=60)
        assert process.exitcode == 0
    rows = [line.split() for line in out.read_text().splitlines()]
    assert {pid for pid, _, _ in rows} == {str(p.pid) for p in workers}
    intervals = sorted((float(start), float(end)) for _, start, end in rows)
    assert len(intervals) == 12
    for (_, previous_end), (start, _) in itertools.pairwise(intervals):
        assert start >= previous_end, "two processes held the same Apple ID's lock at once"


async def test_a_dead_holders_lock_lapses_after_its_ttl(
    store_spec: StoreSpec, tmp_path: Path
) -> None:
    ttl = 3.0
    out = tmp_path / "acquired.txt"
    child = _spawn(take_login_lock_and_die, store_spec, APPLE_ID, ttl, str(out))
    await asyncio.to_thread(child.join, 30)
    assert child.exitcode == 0 and out.exists()
    acquired = float(out.read_text())
    store = open_store(store_spec)
    name = lease_name("login", APPLE_ID)
    if time.time() - acquired < ttl - 0.5:  # still within the dead holder's lease
        assert not store.try_acquire(name, "probe", 1, ttl)
    locks = SharedLocks(store, ttl=ttl)
    async with locks.login_lock(APPLE_ID, timeout=ttl + 10):
        got_it = time.time()
    assert got_it >= acquired + ttl - 0.1  # it was the lapse, not a release, that freed it


async def test_the_lock_is_released_when_the_login_fails(store_spec: StoreSpec) -> None:
    store = open_store(store_spec)
    locks = SharedLocks(store)
    with pytest.raises(RuntimeError):
        async with locks.login_lock(APPLE_ID):
            raise RuntimeError("Apple said no")
    assert store.try_acquire(lease_name("login", APPLE_ID), "probe", 1, 5.0)


async def test_the_lock_is_released_when_the_login_succeeds(store_spec: StoreSpec) -> None:
    store = open_store(store_spec)
    locks = SharedLocks(store)
    async with locks.login_lock(APPLE_ID):
        assert not store.try_acquire(lease_name("login", APPLE_ID), "probe", 1, 5.0)
    assert store.try_acquire(lease_name("login", APPLE_ID), "probe", 1, 5.0)


class CountingStore:
    """Counts acquisition attempts, to show waiting backs off instead of spinning."""

    def __init__(self, inner: LeaseStore) -> None:
        self.inner = inner
        self.attempts = 0

    def try_acquire(self, name: str, token: str, limit: int, ttl: float) -> bool:
        self.attempts += 1
        return self.inner.try_acquire(name, token, limit, ttl)

    def renew(self, name: str, token: str, ttl: float) -> bool:
        return self.inner.renew(name, token, ttl)

    def release(self, name: str, token: str) -> None:
        self.inner.release(name, token)

    def holders(self, name: str) -> int:
        return self.inner.holders(name)

    def remaining(self, name: str) -> float:
        return self.inner.remaining(name)


async def test_a_second_login_waits_a_bounded_time_then_fails_clearly(
    store_spec: StoreSpec,
) -> None:
    holder = SharedLocks(open_store(store_spec))
    counting = CountingStore(open_store(store_spec))
    waiter = SharedLocks(counting)
    async with holder.login_lock(APPLE_ID):
        with pytest.raises(LockTimeout) as failure:
            async with waiter.login_lock(APPLE_ID, timeout=1.0):
                pass
    assert failure.value.code == "login-in-progress"
    # Back-off from 50 ms doubling to 1 s: a handful of tries in a second, not thousands.
    assert 2 <= counting.attempts <= 8


async def test_a_waiting_login_gets_the_lock_once_it_is_released(store_spec: StoreSpec) -> None:
    first, second = SharedLocks(open_store(store_spec)), SharedLocks(open_store(store_spec))
    order: list[str] = []

    async def login(locks: SharedLocks, tag: str, delay: float) -> None:
        await asyncio.sleep(delay)
        async with locks.login_lock(APPLE_ID, timeout=10):
            order.append(f"{tag}-in")
            await asyncio.sleep(0.2)
            order.append(f"{tag}-out")

    await asyncio.gather(login(first, "a", 0), login(second, "b", 0.05))
    assert order == ["a-in", "a-out", "b-in", "b-out"]


async def test_a_held_lease_is_renewed_past_its_ttl(store_spec: StoreSpec) -> None:
    store = open_store(store_spec)
    locks = SharedLocks(store, ttl=0.6)
    async with locks.login_lock(APPLE_ID):
        await asyncio.sleep(1.5)  # well past one ttl: only renewal keeps it
        assert not store.try_acquire(lease_name("login", APPLE_ID), "probe", 1, 5.0)


async def test_download_slots_are_shared_by_all_workers(store_spec: StoreSpec) -> None:
    # Two providers on one store stand for two worker processes.
    workers = [SharedLocks(open_store(store_spec), downloads_per_account=3) for _ in range(2)]
    running = peak = 0

    async def transfer(locks: SharedLocks) -> None:
        nonlocal running, peak
        async with locks.download_slot(APPLE_ID):
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.05)
            running -= 1

    await asyncio.gather(*(transfer(workers[i % 2]) for i in range(12)))
    assert peak == 3


async def test_other_apple_ids_do_not_wait(store_spec: StoreSpec) -> None:
    locks = SharedLocks(open_store(store_spec))
    async with (
        locks.login_lock("one@example.com"),
        locks.login_lock("two@example.com", timeout=0.01),
    ):
        pass


def test_leases_live_beside_the_queue(tmp_path: Path) -> None:
    store = lease_store_for(f"sqlite:///{tmp_path / 'queue.db'}")
    assert isinstance(store, SqliteLeases)
    assert store.path == tmp_path / "queue-leases.db"
    redis_store = lease_store_for("redis://127.0.0.1:1/0?queue=mine")
    assert isinstance(redis_store, RedisLeases)
    assert redis_store._key("login:x") == "cloudtap:mine:lease:login:x"


def test_lease_names_do_not_carry_the_apple_id() -> None:
    name = lease_name("login", APPLE_ID)
    assert "example" not in name.lower()
    assert name == lease_name("login", " same@EXAMPLE.com ")
