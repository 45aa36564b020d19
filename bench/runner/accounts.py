"""``accounts-100``: many sandbox accounts polled at once, through one ``cloudtap serve``
and through ``serve --no-worker`` with ``cloudtap worker`` processes on PostgreSQL +
Redis, against the bare client listing the same accounts at once."""

from __future__ import annotations

import asyncio
import os
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.runner.api import CloudtapAPI
from bench.runner.bare import BareClient, logged_in
from bench.runner.processes import SandboxProcess, scaled_out_server
from bench.runner.report import Runs, Scenario
from cloudtap.icloud.services.photos import PAGE_ASSETS
from cloudtap.sandbox.accounts.scenarios import DOMAIN
from tests.support.postgres import POSTGRES_ENV, fresh_postgres_database

STEM = "bench-acct-"
TIME_TARGET = 1.3  # x the bare client
STARVED = 3.0  # slowest account at most this many times the median
REDIS_ENV = "CLOUDTAP_TEST_REDIS_URL"
WORKERS = 2
# CloudKit requests of a full listing besides its pages: the private and the shared
# zone lists, PrimarySync's indexing check and its count, all four in one round trip.
LISTING_OVERHEAD = 4
_LOGINS_AT_ONCE = 8
_TRIES = 3


def apple_ids(accounts: int) -> list[str]:
    return [f"{STEM}{i:03d}@{DOMAIN}" for i in range(accounts)]


class SteadyBareClient(BareClient):
    """The bare client, asking again when a connection drops (400 connections at once
    through the sandbox's proxy on a loaded machine lose one now and then); counted."""

    retried = 0

    async def _call(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        for _ in range(_TRIES - 1):
            try:
                return await super()._call(operation, body)
            except httpx.TransportError:
                SteadyBareClient.retried += 1
        return await super()._call(operation, body)


@dataclass
class Round:
    """One polling of every account at once."""

    total: float
    per_account: dict[str, float]
    requests: dict[str, int]

    @property
    def slowest_vs_median(self) -> float:
        times = list(self.per_account.values())
        return max(times) / statistics.median(times)


def _sessions(api: CloudtapAPI, ids: list[str]) -> dict[str, str]:
    with ThreadPoolExecutor(_LOGINS_AT_ONCE) as pool:
        return dict(zip(ids, pool.map(api.login, ids), strict=True))


def _polled_at_once(
    api: CloudtapAPI, sandbox: SandboxProcess, sessions: dict[str, str], visible: int
) -> Round:
    """A listing poll of every account, all created at once; each account's time is from
    its POST /polls to its poll's completion."""
    ids = list(sessions)
    before = sandbox.cloudkit_requests(ids)
    gate = threading.Barrier(len(ids))
    payload = {"data_types": ["icpl.photos"]}

    def one(apple_id: str) -> tuple[float, float, float]:
        gate.wait(timeout=60)
        started = time.perf_counter()
        seconds, poll = api.poll(sessions[apple_id], payload)
        if len(api.json_items(poll)) != visible:
            raise RuntimeError(f"{apple_id}: not {visible} assets listed")
        return started, started + seconds, seconds

    with ThreadPoolExecutor(len(ids)) as pool:
        spans = list(pool.map(one, ids))
    after = sandbox.cloudkit_requests(ids)
    return Round(
        total=max(end for _, end, _ in spans) - min(start for start, _, _ in spans),
        per_account={a: s for a, (_, _, s) in zip(ids, spans, strict=True)},
        requests={a: after[a] - before[a] for a in ids},
    )


async def _bare_at_once(sandbox: SandboxProcess, ids: list[str]) -> Round:
    """The bare client listing every account at once (logins untimed, before)."""
    async with AsyncExitStack() as stack:
        clients = []
        for start in range(0, len(ids), _LOGINS_AT_ONCE):
            batch = ids[start : start + _LOGINS_AT_ONCE]
            logins = [logged_in(sandbox.proxy_url, sandbox.ca_file, a) for a in batch]
            for client in await asyncio.gather(*logins):
                clients.append(SteadyBareClient(await stack.enter_async_context(client)))
        before = sandbox.cloudkit_requests(ids)

        async def one(client: BareClient) -> float:
            started = time.perf_counter()
            await client.list_all()
            return time.perf_counter() - started

        started = time.perf_counter()
        seconds = await asyncio.gather(*map(one, clients))
        total = time.perf_counter() - started
    after = sandbox.cloudkit_requests(ids)
    return Round(
        total=total,
        per_account=dict(zip(ids, seconds, strict=True)),
        requests={a: after[a] - before[a] for a in ids},
    )


def scaled_out_services() -> tuple[str, str]:
    """PostgreSQL's and Redis's URLs, refused at once (a run checks this before its first
    scenario, not after twenty minutes of others)."""
    postgres, redis = os.environ.get(POSTGRES_ENV), os.environ.get(REDIS_ENV)
    if not postgres or not redis:
        raise RuntimeError(
            f"accounts-100 needs PostgreSQL and Redis: {POSTGRES_ENV} and {REDIS_ENV} are "
            "set by `source scripts/services` (bench/run sources it when it runs accounts-100)"
        )
    return postgres, redis


@contextmanager
def _scaled_out(root: Path, sandbox: SandboxProcess) -> Iterator[CloudtapAPI]:
    postgres, redis = scaled_out_services()
    queue = f"{redis}?queue=cloudtap-bench-{uuid.uuid4().hex[:8]}"
    with (
        contextmanager(fresh_postgres_database)(postgres) as database,
        scaled_out_server(root / "scaled", sandbox, database, queue, WORKERS) as (served, _),
    ):
        api = CloudtapAPI(served)
        try:
            yield api
        finally:
            api.close()


def many_accounts(
    runs: int, accounts: int, assets: int, sandbox: SandboxProcess, api: CloudtapAPI,
    root: Path,
) -> list[Scenario]:  # fmt: skip
    ids = apple_ids(accounts)
    visible = assets - assets // 20  # one slot in 20 is hidden (sandbox.photos.generator)
    bound = -(-visible // PAGE_ASSETS) + LISTING_OVERHEAD
    # Untimed first pass, a few accounts at a time (building a page costs the sandbox
    # ~10 ms, too much for 400 requests at once): it keeps every page, so all meet the same.
    for start in range(0, len(ids), _LOGINS_AT_ONCE):
        asyncio.run(_bare_at_once(sandbox, ids[start : start + _LOGINS_AT_ONCE]))
    serve_rounds, worker_rounds, bare_rounds = [], [], []
    with _scaled_out(root, sandbox) as scaled:
        one_serve, two_workers = _sessions(api, ids), _sessions(scaled, ids)
        for _ in range(runs):
            serve_rounds.append(_polled_at_once(api, sandbox, one_serve, visible))
            worker_rounds.append(_polled_at_once(scaled, sandbox, two_workers, visible))
            bare_rounds.append(asyncio.run(_bare_at_once(sandbox, ids)))
    bare = Runs([r.total for r in bare_rounds])
    if SteadyBareClient.retried:
        print(f"accounts-100: the bare client asked again {SteadyBareClient.retried} times")
    return [
        _scenario("accounts-100", "one `cloudtap serve`", serve_rounds, bare, bound, None),
        _scenario(
            "accounts-100-workers", f"`serve --no-worker` + {WORKERS} `cloudtap worker` on "
            "PostgreSQL + Redis", worker_rounds, bare, bound, serve_rounds,
        ),
    ]  # fmt: skip


def _scenario(
    name: str, shape: str, rounds: list[Round], bare: Runs, bound: int,
    versus: list[Round] | None,
) -> Scenario:  # fmt: skip
    totals = Runs([r.total for r in rounds])
    starved = Runs([r.slowest_vs_median for r in rounds])
    most = max(max(r.requests.values()) for r in rounds)
    fewest = min(min(r.requests.values()) for r in rounds)
    vs_bare = totals.median / bare.median
    met = vs_bare <= TIME_TARGET and max(starved.values) <= STARVED and most <= bound
    target = f"≤ {TIME_TARGET}x the bare client, slowest account ≤ {STARVED:.0f}x the median"
    scenario = Scenario(
        name, "seconds", False, totals, None, None, target=target, met=met, bare=bare,
        notes=[
            f"{len(rounds[0].per_account)} accounts polled at once through {shape}: total "
            f"from the first POST /polls to the last completed, {vs_bare:.2f}x the bare "
            f"client listing the same accounts at once",
            f"slowest account / median: {starved.text()}; per-account seconds, last run: "
            f"median {statistics.median(rounds[-1].per_account.values()):.2f}, max "
            f"{max(rounds[-1].per_account.values()):.2f}",
            f"CloudKit requests per account: {fewest}-{most} (bound: {bound}, its pages and "
            f"{LISTING_OVERHEAD} more)",
        ],
    )  # fmt: skip
    if versus is not None:
        scenario.peer, scenario.peer_runs = "one `cloudtap serve`", Runs([r.total for r in versus])
        scenario.target += "; not slower than one serve"
        scenario.met = met and totals.median <= scenario.peer_runs.median
    return scenario
