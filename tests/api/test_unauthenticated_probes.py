"""What a caller without a key can make ``cloudtap serve`` hold: nothing that grows.

Signed download links are the one unauthenticated resource that takes a caller-chosen
id; probing it with unique ids (all refused 403) must not grow the server's memory, and
requests without a token are rate-limited per client address.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import psutil

from tests.cli.serve_process import served_api

PROBES = 10_000
ID_BYTES = 15_000  # as in the report: a 15 KB id, just under the 16 KiB head limit
RSS_BUDGET = 5 * 1024 * 1024


async def _probe(url: str, count: int, parallel: int = 8) -> dict[int, int]:
    """``count`` probes over ``parallel`` kept-alive loopback connections. A bare HTTP/1.1
    client: the server's work is what is measured, so the client stays cheap."""
    host, port = httpx.URL(url).host, httpx.URL(url).port
    padding = "x" * (ID_BYTES - 36)
    statuses: dict[int, int] = {}

    async def connection(share: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for _ in range(share):
                path = f"/results/{uuid.uuid4()}{padding}/download"
                writer.write(
                    f"GET {path}?expires=4102444800&signature=x HTTP/1.1\r\n"
                    f"Host: {host}:{port}\r\n\r\n".encode()
                )
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
                status = int(head.split(b" ", 2)[1])
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.lower().split(b"\r\n")
                    if line.startswith(b"content-length:")
                )
                await reader.readexactly(length)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    await asyncio.gather(*(connection(count // parallel) for _ in range(parallel)))
    return statuses


def _rss(pid: int) -> int:
    return int(psutil.Process(pid).memory_info().rss)


def test_unique_download_probes_do_not_grow_the_server(tmp_path: Path) -> None:
    # The per-address limit off: every probe reaches the signature check (the worst case).
    env = {"CLOUDTAP_ANONYMOUS_RATE_LIMIT_PER_SECOND": "0"}
    with served_api(tmp_path / "data", extra_env=env) as api:
        warm = asyncio.run(_probe(api.url, 320))  # code paths and pools warmed up
        assert set(warm) <= {403, 404}, warm
        before = _rss(api.process.pid)
        statuses = asyncio.run(_probe(api.url, PROBES))
        grown = _rss(api.process.pid) - before
    print(f"serve RSS grew {grown / 2**20:.2f} MB over {PROBES} probes: {statuses}")
    assert sum(statuses.values()) == PROBES
    assert set(statuses) <= {403, 404}, statuses  # refused, never a 5xx
    assert grown < RSS_BUDGET, f"serve grew by {grown / 2**20:.1f} MB over {PROBES} probes"


def test_requests_without_a_token_are_limited_per_address(tmp_path: Path) -> None:
    env = {
        "CLOUDTAP_ANONYMOUS_RATE_LIMIT_PER_SECOND": "1",
        "CLOUDTAP_ANONYMOUS_RATE_LIMIT_BURST": "5",
    }
    with (
        served_api(tmp_path / "data", extra_env=env) as api,
        httpx.Client(base_url=api.url, timeout=30) as http,
    ):
        probe = "/results/nope/download?expires=4102444800&signature=x"
        statuses = [http.get(probe).status_code for _ in range(10)]
        # The burst (less the start-up check's request from this address), then refused.
        assert statuses[0] == 403 and set(statuses) == {403, 429}, statuses
        assert statuses.count(403) <= 5, statuses
        refused = http.get(probe)
        assert refused.status_code == 429
        assert refused.json()["error"] == "rate-limited"
        assert int(refused.headers["Retry-After"]) >= 1
        # A caller with a key has its own bucket, not the address's.
        keyed = http.get("/organisation", headers={"Authorization": f"Token {api.token}"})
        assert keyed.status_code == 200
