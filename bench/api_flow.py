"""Time the API's main paths and check that big files stream in bounded memory.

Runs cloudtap in-process on a temporary data dir (SQLite database and queue, local
result store, two job threads) and prints a table:

- request latency of a few plain endpoints (in-process HTTP, no sockets);
- a sandbox login and polls through the real connector and the built-in sandbox;
- a file poll of ``--file-mib`` MiB from a synthetic connector, with the process's peak
  RSS before and after (the file is streamed, so RSS should barely move).

    .venv/bin/python bench/api_flow.py [--requests 200] [--file-mib 256]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CHUNK = b"\0" * (1 << 20)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


@dataclass
class SyntheticFile:
    info: Any
    mib: int

    async def iter_bytes(self, offset: int = 0) -> AsyncIterator[bytes]:
        for _ in range(self.mib):
            yield CHUNK


class BigFileConnector:
    """Logs anyone in and serves one file of ``mib`` MiB of zeros."""

    def __init__(self, mib: int) -> None:
        self.mib = mib

    async def login(self, credentials: Any, saved_state: Any) -> Any:
        from cloudtap.icloud.connector import LoginOutcome

        return LoginOutcome("active", session_state={"kind": "bench"})

    async def validate(self, session_state: dict[str, Any]) -> dict[str, Any]:
        return session_state

    def info_types(self) -> list[str]:
        return []

    def data_types(self) -> list[str]:
        return []

    async def open_file(self, session_state: dict[str, Any], file_id: str) -> SyntheticFile:
        from cloudtap.icloud.connector import FileInfo

        return SyntheticFile(FileInfo(file_id, self.mib << 20, "bin"), self.mib)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--file-mib", type=int, default=256)
    args = parser.parse_args()
    os.environ["CLOUDTAP_DATA_DIR"] = tempfile.mkdtemp(prefix="cloudtap-bench-")

    from fastapi.testclient import TestClient

    from cloudtap.app import create_app
    from cloudtap.cli.runtime import prepare_database, start_sandbox, stop_sandbox
    from cloudtap.config import get_settings
    from cloudtap.jobs.connectors import set_connector_factory
    from cloudtap.jobs.consumer import start_embedded_consumer, stop_consumer

    settings = get_settings()
    token = prepare_database(settings)
    sandbox = start_sandbox(settings)
    consumer = start_embedded_consumer(settings)
    rows: list[tuple[str, str]] = []
    headers = {"Authorization": f"Token {token}", "Ricloud-Await": "30"}
    try:
        with TestClient(create_app(settings), headers=headers) as client:
            for index in range(100):
                client.post("/users", json={"identifier": f"user-{index}"})
            for label, call in (
                ("GET /organisation", lambda: client.get("/organisation")),
                ("GET /users?limit=100", lambda: client.get("/users?limit=100")),
                (
                    "POST /users (existing)",
                    lambda: client.post("/users", json={"identifier": "user-1"}),
                ),
            ):
                samples = [timed(call)[0] * 1000 for _ in range(args.requests)]
                rows.append(
                    (
                        label,
                        f"p50 {statistics.median(samples):.1f} ms, "
                        f"p95 {statistics.quantiles(samples, n=20)[18]:.1f} ms",
                    )
                )

            user = client.post("/users", json={"identifier": "sandbox-user"}).json()["id"]
            body = {
                "source": {"user": user, "identifier": "no2fa@sandbox.cloudtap.dev"},
                "payload": {"password": "sandbox-password"},
            }
            seconds, session = timed(lambda: client.post("/sessions", json=body).json())
            rows.append(
                ("sandbox login (no 2FA) to active", f"{seconds:.2f} s ({session['state']})")
            )
            for payload in ({"info_types": ["*"]}, {"data_types": ["icpl.photos"]}):
                seconds, poll = timed(
                    lambda p=payload: client.post(
                        "/polls", json={"session": session["id"], "payload": p}
                    ).json()
                )
                size = sum(r["size"] for r in poll["results"]["data"])
                rows.append(
                    (
                        f"sandbox poll {payload}",
                        f"{seconds:.2f} s, {len(poll['results']['data'])} results, {size} bytes",
                    )
                )

            set_connector_factory(lambda _env: BigFileConnector(args.file_mib))  # type: ignore[arg-type,return-value]
            big = client.post(
                "/sessions", json={**body, "source": {**body["source"], "identifier": "big@x"}}
            ).json()
            before = peak_rss_mib()
            seconds, poll = timed(
                lambda: client.post(
                    "/polls", json={"session": big["id"], "payload": {"files": ["big://1"]}}
                ).json()
            )
            [result] = poll["results"]["data"]
            rows.append(
                (
                    f"file poll, {args.file_mib} MiB streamed to disk",
                    f"{seconds:.2f} s ({args.file_mib / seconds:.0f} MiB/s)",
                )
            )
            rows.append(
                (
                    "peak RSS before / after the big file poll",
                    f"{before:.0f} / {peak_rss_mib():.0f} MiB",
                )
            )
            # The in-process test client buffers whole responses, so this times the
            # server's streaming plus that copy; its memory is the client's, not cloudtap's.
            seconds, response = timed(lambda: client.get(result["signed_url"]["url"]))
            assert len(response.content) == result["size"]
            rows.append(
                (f"signed_url download, {args.file_mib} MiB (in-process)", f"{seconds:.2f} s")
            )
    finally:
        set_connector_factory(None)
        stop_consumer(consumer)
        stop_sandbox(sandbox)
    width = max(len(label) for label, _ in rows)
    print(f"{'measure'.ljust(width)} | value")
    print(f"{'-' * width}-|-{'-' * 40}")
    for label, value in rows:
        print(f"{label.ljust(width)} | {value}")


if __name__ == "__main__":
    main()
