"""How fast our iCloud client lists a large photo library through the sandbox proxy.

Logs into a large-library sandbox account and lists every asset with 1 and with N pages
in flight, then a sync-token incremental listing, and prints a table: assets, Apple
requests, seconds, and the process's peak RSS (client and in-process sandbox together).

    .venv/bin/python bench/icloud_photos_listing.py [--account photos-10k] [--concurrency 4]

Add Apple-like round trips with the sandbox's knob, e.g. ``CLOUDTAP_SANDBOX_LATENCY_MS=50``.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cloudtap.config import Settings
from cloudtap.icloud.auth.flow import session_from_state
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, Filters, TransportOptions
from cloudtap.icloud.datatypes import icpl_photos
from cloudtap.icloud.services.photos import PhotosLibrary
from cloudtap.sandbox.runtime import start_sandbox


async def run(account: str, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        sandbox = start_sandbox(Settings.from_env({"CLOUDTAP_DATA_DIR": data_dir}))
        try:
            transport = TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
            outcome = await ICloudConnector(transport).login(
                Credentials(f"{account}@sandbox.cloudtap.dev", "sandbox-password"), None
            )
            assert outcome.session_state, outcome.error
            rows = []
            cursor = None
            for label, pages_in_flight, filters in [
                ("full, sequential", 1, Filters()),
                (f"full, {concurrency} in flight", concurrency, Filters()),
                ("incremental (sync tokens)", concurrency, None),
            ]:
                requests = 0

                async def count(_: httpx.Request) -> None:
                    nonlocal requests
                    requests += 1

                session = session_from_state(outcome.session_state)
                assert session is not None
                cursors: list[dict] = []
                started = time.perf_counter()
                async with AppleClient(transport, session, request_hooks=[count]) as client:
                    library = PhotosLibrary(client, concurrency=pages_in_flight)
                    assets = 0
                    query = filters if filters is not None else Filters(cursor=cursor)
                    async for _ in icpl_photos.fetch(library, query, cursors.append):
                        assets += 1
                seconds = time.perf_counter() - started
                cursor = cursors[-1] if cursors else cursor
                rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                rows.append((label, assets, requests, seconds, rss_mb))
        finally:
            sandbox.close()
    print(f"account: {account}")
    columns = ("assets", "requests", "seconds", "assets/s", "peak RSS MB")
    print(f"{'listing':<30} " + " ".join(f"{c:>11}" for c in columns))
    for label, assets, requests, seconds, rss in rows:
        rate = assets / seconds if seconds else 0
        print(
            f"{label:<30} {assets:>11} {requests:>11} {seconds:>11.2f} {rate:>11.0f} {rss:>11.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--account", default="photos-10k")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(run(args.account, args.concurrency))


if __name__ == "__main__":
    main()
