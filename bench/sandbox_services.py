"""How the sandbox's generated services hold up on the large scenario accounts.

Serves each large account in-process (no proxy) and times a full listing the way a
client pages it: 10k contacts in one streamed ``/co/contacts``, a month and a year of a
10k-event calendar, and ``changes/zone`` paging through 5k notes, 20k calls and 50k
Safari visits. Prints items, requests, seconds and Python's peak traced memory for the
listing, client side included (the generators never hold a whole account).

    .venv/bin/python bench/sandbox_services.py
"""

from __future__ import annotations

import asyncio
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cloudtap.sandbox.accounts.scenarios import scenario_account
from cloudtap.sandbox.app import SandboxApp
from cloudtap.sandbox.cloudkit.container import CONTAINERS, Zone
from cloudtap.sandbox.services import callhistory, notes, safari  # noqa: F401  (registers)
from cloudtap.sandbox.world import WEB_SESSION_COOKIE, SandboxWorld

Row = tuple[str, int, int, float, float]


async def _measure(label: str, job: Callable[[], Awaitable[tuple[int, int]]]) -> Row:
    """Time one run untraced, then trace a second for peak memory (tracing is slow)."""
    started = time.perf_counter()
    items, requests = await job()
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    await job()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return label, items, requests, elapsed, peak / 2**20


def _client(name: str, service: str) -> httpx.AsyncClient:
    account = scenario_account(name)
    world = SandboxWorld.with_accounts([account])
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=SandboxApp(world)),
        base_url=f"https://p61-{service}.icloud.com",
        cookies={WEB_SESSION_COOKIE: world.issue_web_session(account).token},
        timeout=120,
    )


async def contacts() -> tuple[int, int]:
    async with _client("contacts-10k", "contacts") as client:
        reply = await client.get("/co/contacts", params={"limit": 0, "offset": 0})
        return len(reply.json()["contacts"]), 1


def _events(days: int) -> Callable[[], Awaitable[tuple[int, int]]]:
    async def job() -> tuple[int, int]:
        start = date.today().replace(day=1)
        params = {
            "startDate": start.isoformat(),
            "endDate": (start + timedelta(days=days - 1)).isoformat(),
            "usertz": "Europe/London",
        }
        async with _client("events-10k", "calendar") as client:
            return len((await client.get("/ca/events", params=params)).json()["Event"]), 1

    return job


def _changes(name: str, container: str, zone: str) -> Callable[[], Awaitable[tuple[int, int]]]:
    async def job() -> tuple[int, int]:
        account = scenario_account(name)
        served = CONTAINERS[container]
        token, items, requests = None, 0, 0
        while True:
            page = served.changes(account, "private", Zone(zone), token, 200, None)
            items += len(page.records)
            requests += 1
            token = page.sync_token
            if not page.more_coming:
                return items, requests

    return job


async def main() -> None:
    rows = [
        await _measure("contacts-10k: /co/contacts limit=0", contacts),
        await _measure("events-10k: /ca/events, one month", _events(31)),
        await _measure("events-10k: /ca/events, one year", _events(365)),
        await _measure(
            "notes-5k: changes/zone, 200/page", _changes("notes-5k", "com.apple.notes", "Notes")
        ),
        await _measure(
            "calls-20k: changes/zone, 200/page",
            _changes("calls-20k", callhistory.CONTAINER, "CallHistory"),
        ),
        await _measure(
            "history-50k: changes/zone, 200/page",
            _changes("history-50k", safari.CONTAINER, "History"),
        ),
    ]
    print(f"{'listing':40} {'items':>7} {'requests':>8} {'seconds':>8} {'peak MiB':>9}")
    for label, items, requests, seconds, peak in rows:
        print(f"{label:40} {items:>7} {requests:>8} {seconds:>8.2f} {peak:>9.1f}")


if __name__ == "__main__":
    asyncio.run(main())
