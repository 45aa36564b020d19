"""What a long-running ``serve`` keeps between polls: tracemalloc snapshots diffed.

Runs the API (in-process), two job threads and the sandbox (a generated library) in one
process, polls ``--cycles`` listings of it (each followed by a files poll of its newest
assets' files), and prints what grew between the end of the first cycle and the end of
the last, by allocating line (the sandbox's own allocations left out), with the RSS.

    .venv/bin/python bench/soak_tracemalloc.py [--assets 3000] [--cycles 8] [--top 15]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path
from typing import Any

import psutil
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cloudtap.app import create_app
from cloudtap.cli.runtime import prepare_database
from cloudtap.config import Settings, set_settings
from cloudtap.icloud.connector import TransportOptions
from cloudtap.jobs.connectors import set_sandbox_transport
from cloudtap.jobs.consumer import start_embedded_consumer, stop_consumer
from cloudtap.sandbox.accounts.model import GeneratedLibrary
from cloudtap.sandbox.accounts.scenarios import DOMAIN, PASSWORD, scenario_account
from cloudtap.sandbox.runtime import start_sandbox
from cloudtap.sandbox.world import SandboxWorld

AWAIT = {"Ricloud-Await": "60"}


def rss_mib() -> float:
    return psutil.Process().memory_info().rss / 2**20


def _poll(
    client: TestClient, headers: dict[str, str], session: str, payload: dict[str, Any]
) -> dict[str, Any]:
    poll = client.post(
        "/polls", json={"session": session, "payload": payload}, headers=headers
    ).json()
    deadline = time.monotonic() + 600
    while poll["state"] in ("pending", "processing") and time.monotonic() < deadline:
        poll = client.get(f"/polls/{poll['id']}", headers=headers).json()
    assert poll["state"] == "completed", poll
    return dict(poll)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=3000)
    parser.add_argument("--cycles", type=int, default=8)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings.from_env({"CLOUDTAP_DATA_DIR": data_dir})
        set_settings(settings)
        template = scenario_account("photos-10k", settings.sandbox_seed)
        account = replace(
            template, apple_id=f"soak@{DOMAIN}", dsid="19999999999",
            photos=GeneratedLibrary(count=args.assets, seed=7),
        )  # fmt: skip
        world = SandboxWorld.with_accounts([account], seed=settings.sandbox_seed)
        sandbox = start_sandbox(settings, world=world)
        set_sandbox_transport(
            TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
        )
        token = prepare_database(settings)
        consumer = start_embedded_consumer(settings, workers=2)
        try:
            with TestClient(create_app(settings)) as client:
                headers = {"Authorization": f"Token {token}", **AWAIT}
                user = client.post("/users", json={"identifier": "soak"}, headers=headers)
                source = {"user": user.json()["id"], "type": "icloud.account"}
                session = client.post(
                    "/sessions",
                    json={"source": {**source, "identifier": account.apple_id},
                          "payload": {"password": PASSWORD}},
                    headers=headers,
                ).json()["id"]  # fmt: skip
                first: tracemalloc.Snapshot | None = None
                for cycle in range(args.cycles):
                    poll = _poll(client, headers, session, {"data_types": ["icpl.photos"]})
                    [result] = poll["results"]["data"]
                    items = json.loads(Path(result["url"].removeprefix("local://")).read_bytes())
                    files = sorted({f["id"] for i in items["data"][:20] for f in i["files"]})
                    _poll(client, headers, session, {"files": files})
                    gc.collect()
                    print(f"cycle {cycle + 1}: RSS {rss_mib():.1f} MiB", flush=True)
                    if cycle == 0:
                        tracemalloc.start(8)
                    elif cycle == 1:
                        first = tracemalloc.take_snapshot()
                last = tracemalloc.take_snapshot()
        finally:
            stop_consumer(consumer)
            sandbox.close()
    assert first is not None
    mine = [
        tracemalloc.Filter(False, "*/cloudtap/sandbox/*"),
        tracemalloc.Filter(False, "*tracemalloc*"),
    ]
    diff = last.filter_traces(mine).compare_to(first.filter_traces(mine), "traceback")
    print(f"\ngrown between the end of cycle 2 and of cycle {args.cycles}:")
    for stat in diff[: args.top]:
        print(f"{stat.size_diff / 1024:+.0f} KiB in {stat.count_diff:+d} blocks")
        for line in stat.traceback.format()[-8:]:
            print("   ", line)


if __name__ == "__main__":
    main()
