"""List a large generated Photos library completely and report the sandbox's memory.

Runs the sandbox in-process (the ASGI app, no sockets) and pages the whole library the
way icloudpd does (``ASCENDING`` from rank 0, ``resultsLimit`` 200), after a
CheckIndexingState and a count. Prints a table: assets, requests, seconds, peak RSS.

    .venv/bin/python bench/sandbox_photos_memory.py [--count 100000] [--seed 1] [--proxy]

``--proxy`` goes through the real TLS-terminating CONNECT proxy (``start_sandbox``) on
loopback instead; the RSS is then that of the one process holding sandbox and client.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import shutil
import ssl
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cloudtap.sandbox.accounts.model import GeneratedLibrary, SandboxAccount
from cloudtap.sandbox.app import SandboxApp
from cloudtap.sandbox.world import WEB_SESSION_COOKIE, SandboxWorld

BASE = "/database/1/com.apple.photos.cloud/production/private"
LIST = "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted"


def rss_mib() -> float:
    """Current resident set size, from /proc (Linux)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def page_body(rank: int) -> dict[str, object]:
    return {
        "query": {
            "recordType": LIST,
            "filterBy": [
                {"fieldName": "startRank", "comparator": "EQUALS",
                 "fieldValue": {"type": "INT64", "value": rank}},
                {"fieldName": "direction", "comparator": "EQUALS",
                 "fieldValue": {"type": "STRING", "value": "ASCENDING"}},
            ],
        },
        "resultsLimit": 200,
        "zoneID": {"zoneName": "PrimarySync"},
    }  # fmt: skip


def _client(world: SandboxWorld, proxy: bool, tmp: Path) -> tuple[httpx.AsyncClient, Any]:
    if not proxy:
        return httpx.AsyncClient(transport=httpx.ASGITransport(SandboxApp(world))), None
    from cloudtap.config import Settings
    from cloudtap.sandbox.runtime import start_sandbox

    running = start_sandbox(Settings.from_env({"CLOUDTAP_DATA_DIR": str(tmp)}), world=world)
    context = ssl.create_default_context(cafile=str(running.ca_file))
    return httpx.AsyncClient(proxy=running.proxy_url, verify=context), running


async def list_library(count: int, seed: int, proxy: bool) -> tuple[int, int, float, float, float]:
    account = SandboxAccount(
        apple_id="bench@sandbox.cloudtap.dev", password="-", scenario="bench", dsid="99",
        first_name="Bench", last_name="Mark", photos=GeneratedLibrary(count=count, seed=seed),
    )  # fmt: skip
    world = SandboxWorld.with_accounts([account])
    cookies = {WEB_SESSION_COOKIE: world.issue_web_session(account).token}
    tmp = Path(tempfile.mkdtemp(prefix="cloudtap-bench-"))
    client, running = _client(world, proxy, tmp)
    client.base_url = httpx.URL("https://p61-ckdatabasews.icloud.com")
    client.cookies.update(cookies)
    gc.collect()
    baseline = rss_mib()
    assets = requests = 0
    started = time.perf_counter()
    async with client:
        await client.post(
            f"{BASE}/records/query",
            json={
                "query": {"recordType": "CheckIndexingState"},
                "zoneID": {"zoneName": "PrimarySync"},
            },
        )
        requests += 1
        rank = 0
        while True:
            reply = await client.post(f"{BASE}/records/query", json=page_body(rank))
            requests += 1
            reply.raise_for_status()
            page = sum(1 for r in reply.json()["records"] if r["recordType"] == "CPLAsset")
            if page == 0:
                break
            assets += page
            rank += page
    seconds = time.perf_counter() - started
    after = rss_mib()
    if running is not None:
        running.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return assets, requests, seconds, baseline, after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--proxy", action="store_true", help="go through the TLS proxy")
    args = parser.parse_args()
    assets, requests, seconds, baseline, after = asyncio.run(
        list_library(args.count, args.seed, args.proxy)
    )
    rows = [
        ("transport", "TLS proxy (loopback)" if args.proxy else "in-process ASGI"),
        ("library size", f"{args.count}"),
        ("assets listed", f"{assets}"),
        ("requests", f"{requests}"),
        ("seconds", f"{seconds:.1f}"),
        ("assets / second", f"{assets / seconds:.0f}"),
        ("RSS before listing (MiB)", f"{baseline:.1f}"),
        ("RSS after listing (MiB)", f"{after:.1f}"),
        ("peak RSS of the process (MiB)", f"{peak_rss_mib():.1f}"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"{'metric'.ljust(width)} | value")
    print(f"{'-' * width}-|-------")
    for key, value in rows:
        print(f"{key.ljust(width)} | {value}")


if __name__ == "__main__":
    main()
