"""What the deployment-wide per-Apple-ID locks cost: one table per lease store.

    .venv/bin/python bench/locks.py [--redis redis://127.0.0.1:56379/0] [--rounds 300]

Rows: an uncontended login-lock hold (acquire + release), a download-slot hold, and the
hand-over delay under contention (from one holder's release to the waiter's entry, which
the waiter's back-off bounds). SQLite always; Redis when a URL is given or
``CLOUDTAP_TEST_REDIS_URL`` is set (``source scripts/services``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from cloudtap.icloud.locks import LOCAL_LOCKS, LockProvider
from cloudtap.jobs.leases import LeaseStore, RedisLeases, SqliteLeases
from cloudtap.jobs.locks import SharedLocks

APPLE_ID = "bench@example.com"


async def hold_cycles(locks: LockProvider, rounds: int, kind: str) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        lock = locks.login_lock(APPLE_ID) if kind == "login" else locks.download_slot(APPLE_ID)
        async with lock:
            pass
        times.append(time.perf_counter() - start)
    return times


async def handovers(locks: LockProvider, rounds: int) -> list[float]:
    """A holder keeps the lock 100 ms; the waiter's delay past the release is measured."""
    delays = []
    for _ in range(rounds):
        released = 0.0

        async def holder() -> None:
            nonlocal released
            async with locks.login_lock(APPLE_ID):
                await asyncio.sleep(0.1)
            released = time.perf_counter()

        async def waiter() -> float:
            await asyncio.sleep(0.01)
            async with locks.login_lock(APPLE_ID):
                return time.perf_counter()

        _, entered = await asyncio.gather(holder(), waiter())
        delays.append(max(0.0, entered - released))
    return delays


def row(name: str, store: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[int(len(ms) * 0.95) - 1]
    return f"| {name} | {store} | {statistics.median(ms):.2f} | {p95:.2f} | {len(ms)} |"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", default=os.environ.get("CLOUDTAP_TEST_REDIS_URL"))
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stores: list[tuple[str, LeaseStore | None]] = [
            ("in-process (default)", None),
            ("SQLite file", SqliteLeases(Path(tmp) / "queue-leases.db")),
        ]
        if args.redis:
            prefix = f"cloudtap-bench-{uuid.uuid4().hex[:8]}:lease:"
            stores.append(("Redis", RedisLeases.from_url(args.redis, prefix)))
        print("| operation | store | median ms | p95 ms | n |")
        print("|---|---|---|---|---|")
        for label, store in stores:
            locks: LockProvider = LOCAL_LOCKS if store is None else SharedLocks(store)
            print(row("login lock hold", label, await hold_cycles(locks, args.rounds, "login")))
            print(row("download slot hold", label, await hold_cycles(locks, args.rounds, "dl")))
            handover_rounds = max(5, args.rounds // 20)
            print(row("hand-over delay", label, await handovers(locks, handover_rounds)))


if __name__ == "__main__":
    asyncio.run(main())
