"""A lean HTTP/1.1 load generator: N keep-alive connections, each one request at a time.

Plain asyncio sockets rather than an HTTP client library, so that on a small machine
the load generator costs far less CPU than the server it measures.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    body_bytes: int  # of the last answer, as sent (compressed if it was)


async def _client(
    host: str, port: int, request: bytes, until: float, latencies: list[float], sizes: list[int]
) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    errors = 0
    try:
        while time.perf_counter() < until:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            sizes[:] = [length]
            errors += status != 200
    finally:
        writer.close()
    return errors


async def _run(url: str, headers: dict[str, str], clients: int, seconds: float) -> Load:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    lines = [f"GET {parts.path or '/'} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    latencies: list[float] = []
    sizes: list[int] = [0]
    started = time.perf_counter()
    until = started + seconds
    errors = await asyncio.gather(
        *(_client(host, port, request, until, latencies, sizes) for _ in range(clients))
    )
    elapsed = time.perf_counter() - started
    ms = sorted(x * 1000 for x in latencies)
    return Load(
        requests_per_second=len(ms) / elapsed,
        p50_ms=statistics.median(ms),
        p99_ms=ms[min(len(ms) - 1, int(len(ms) * 0.99))],
        errors=sum(errors),
        body_bytes=sizes[0],
    )


def load(url: str, headers: dict[str, str], clients: int, seconds: float) -> Load:
    return asyncio.run(_run(url, headers, clients, seconds))
