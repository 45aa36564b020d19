"""``api-mix``'s load: keep-alive clients replaying ricloud-py 3.2.0's own requests.

What ricloud-py 3.2.0 sends (``ricloud/requests.py``, ``ricloud/resources/abase.py``,
``ricloud/samples/helpers.py``): every request through one ``requests.Session`` with
``User-Agent: ricloud-py/3.2.0``, ``Authorization: Token <token>`` and, as its shipped
``ricloud.ini`` sets ``await_for = 0`` (the string ``"0"``, which is truthy),
``Ricloud-Await: 0``; ``requests`` adds ``Accept-Encoding: gzip, deflate``,
``Accept: */*`` and ``Connection: keep-alive``. ``Poll.create`` POSTs the JSON payload
with no Content-Type; ``await_response`` then refreshes the poll (``GET /polls/<id>``)
while it is ``pending`` or ``processing``; its results are listed and each one fetched.

One client's cycle (``Client.cycle``), at least one whole one per client however short
the run: create a poll; while it processes, read it and make the
other reads a service makes meanwhile (its organisation, its session, its recent polls,
its events), one after another with no think time (ricloud-py sleeps 1 s between
refreshes: that only spreads the same requests out); once it settles, list its results
and fetch one through its ``signed_url``. Every answer is checked (status, and the JSON
a later request needs); each request's time is kept under its kind.

Plain asyncio sockets, as ``bench.runner.load``: the load generator costs far less CPU
than the server it measures.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import json
import statistics
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

RICLOUD_HEADERS = {
    "User-Agent": "ricloud-py/3.2.0",
    "Accept-Encoding": "gzip, deflate",
    "Accept": "*/*",
    "Connection": "keep-alive",
    "Ricloud-Await": "0",
}

# The request kinds, in the order a report lists them.
CREATE = "POST /polls"
POLL_PROCESSING = "GET /polls/{id} (processing)"
POLL_SETTLED = "GET /polls/{id} (settled)"
RESULTS = "GET /results?poll={id}"
DOWNLOAD = "GET signed_url"
EVENTS = "GET /events"
ORGANISATION = "GET /organisation"
SESSION = "GET /sessions/{id}"
POLLS = "GET /polls?limit=20"
KINDS = (
    CREATE, POLL_PROCESSING, POLL_SETTLED, RESULTS, DOWNLOAD, EVENTS, ORGANISATION, SESSION,
    POLLS,
)  # fmt: skip


class UnexpectedAnswer(RuntimeError):
    pass


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes  # decoded if it came gzipped

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    """One keep-alive HTTP/1.1 connection, one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str):
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, url: str) -> Connection:
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, f"{host}:{port}")

    def close(self) -> None:
        self.writer.close()

    async def request(
        self, method: str, target: str, headers: dict[str, str], body: bytes = b""
    ) -> Answer:
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        fields = {}
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            fields[name.strip().lower()] = value.strip()
        if fields.get(b"transfer-encoding", b"").lower() == b"chunked":
            data = await self._chunks()
        else:
            data = await self.reader.readexactly(int(fields.get(b"content-length", b"0")))
        if fields.get(b"content-encoding", b"").lower() == b"gzip":
            data = gzip.decompress(data)
        return Answer(status, data)

    async def _chunks(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            parts.append(await self.reader.readexactly(size + 2))
            if size == 0:
                return b"".join(p[:-2] for p in parts)


@dataclass(frozen=True)
class Kind:
    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    # The mean answer body in bytes (decoded, were it gzipped), where measured: what a
    # request's work depends on (a page of files polls lists every result).
    mean_bytes: float | None = None

    def as_json(self) -> dict[str, float]:
        figures = {
            "requests": self.requests,
            "requests_per_second": round(self.requests_per_second, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
        }
        if self.mean_bytes is not None:
            figures["mean_bytes"] = round(self.mean_bytes)
        return figures


def summary(latencies: list[float], seconds: float) -> Kind:
    ms = sorted(x * 1000 for x in latencies)
    if not ms:
        return Kind(0, 0.0, 0.0, 0.0)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return Kind(len(ms), len(ms) / seconds, statistics.median(ms), p99)


class Client:
    """One ricloud-py user: its connection, key, session and data types."""

    def __init__(
        self, connection: Connection, token: str, session: str, payload: dict[str, Any],
        timings: dict[str, list[float]],
    ) -> None:  # fmt: skip
        self.connection = connection
        self.headers = {**RICLOUD_HEADERS, "Authorization": f"Token {token}"}
        self.session = session
        self.payload = payload
        self.timings = timings

    async def _timed(
        self, kind: str | Callable[[Answer], str], method: str, target: str, body: bytes = b"",
        expect: int = 200,
    ) -> Answer:  # fmt: skip
        started = time.perf_counter()
        answer = await self.connection.request(method, target, self.headers, body)
        took = time.perf_counter() - started
        if answer.status != expect:
            raise UnexpectedAnswer(f"{method} {target}: {answer.status} {answer.body[:300]!r}")
        self.timings[kind if isinstance(kind, str) else kind(answer)].append(took)
        return answer

    async def cycle(self, until: float) -> None:
        body = json.dumps({"session": self.session, "payload": self.payload}).encode()
        poll = (await self._timed(CREATE, "POST", "/polls", body, expect=201)).json()
        poll_id = poll["id"]
        while poll["state"] in ("pending", "processing"):
            if time.perf_counter() >= until:
                raise UnexpectedAnswer(f"poll {poll_id} still {poll['state']} at the deadline")
            poll = (await self._timed(_poll_kind, "GET", f"/polls/{poll_id}")).json()
            await self._timed(ORGANISATION, "GET", "/organisation")
            await self._timed(SESSION, "GET", f"/sessions/{self.session}")
            await self._timed(POLLS, "GET", "/polls?limit=20")
            await self._timed(EVENTS, "GET", "/events")
        if poll["state"] != "completed":
            raise UnexpectedAnswer(f"poll {poll_id} ended {poll['state']}: {poll.get('errors')}")
        results = (await self._timed(RESULTS, "GET", f"/results?poll={poll_id}")).json()["data"]
        if not results or not results[0].get("signed_url"):
            raise UnexpectedAnswer(f"poll {poll_id}: no result with a signed_url: {results}")
        link = urlsplit(results[0]["signed_url"]["url"])
        data = await self._timed(DOWNLOAD, "GET", f"{link.path}?{link.query}")
        if not data.body:
            raise UnexpectedAnswer(f"poll {poll_id}: its result downloaded empty")


def _poll_kind(answer: Answer) -> str:
    settled = answer.json()["state"] not in ("pending", "processing")
    return POLL_SETTLED if settled else POLL_PROCESSING


# However short the run, each client completes one whole cycle, within this bound.
FIRST_CYCLE_SECONDS = 120.0


async def _replay(client: Client, until: float) -> None:
    try:
        await client.cycle(until + FIRST_CYCLE_SECONDS)
        while time.perf_counter() < until:
            await client.cycle(until + FIRST_CYCLE_SECONDS)
    finally:
        client.connection.close()


async def _mix(
    url: str, token: str, sessions: list[str], payload: dict[str, Any], clients: int,
    seconds: float,
) -> dict[str, Kind]:  # fmt: skip
    timings: dict[str, list[float]] = defaultdict(list)
    connections = [await Connection.open(url) for _ in range(clients)]
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(
        *(
            _replay(Client(c, token, sessions[i % len(sessions)], payload, timings), until)
            for i, c in enumerate(connections)
        )
    )
    elapsed = time.perf_counter() - started
    return {kind: summary(timings[kind], elapsed) for kind in KINDS}


def mix(
    url: str, token: str, sessions: list[str], payload: dict[str, Any], clients: int,
    seconds: float,
) -> dict[str, Kind]:  # fmt: skip
    """Each kind's requests, req/s, p50 and p99 over ``clients`` replaying ricloud-py."""
    return asyncio.run(_mix(url, token, sessions, payload, clients, seconds))


async def _hammer(
    url: str, request: Callable[[Connection], Awaitable[None]], clients: int, seconds: float
) -> Kind:
    latencies: list[float] = []

    async def one(connection: Connection, until: float) -> None:
        try:
            while time.perf_counter() < until:
                started = time.perf_counter()
                await request(connection)
                latencies.append(time.perf_counter() - started)
        finally:
            connection.close()

    connections = [await Connection.open(url) for _ in range(clients)]
    started = time.perf_counter()
    await asyncio.gather(*(one(c, started + seconds) for c in connections))
    return summary(latencies, time.perf_counter() - started)


def alone(
    url: str, token: str, method: str, targets: list[str], clients: int, seconds: float,
    body: bytes = b"", expect: int = 200,
) -> Kind:  # fmt: skip
    """One request kind alone: ``clients`` keep-alive clients, each sending it (round robin
    over ``targets``) back to back, every answer checked."""
    headers = {**RICLOUD_HEADERS, "Authorization": f"Token {token}"}
    turn = iter(range(1 << 62))
    sizes: list[int] = []

    async def request(connection: Connection) -> None:
        target = targets[next(turn) % len(targets)]
        answer = await connection.request(method, target, headers, body)
        if answer.status != expect:
            raise UnexpectedAnswer(f"{method} {target}: {answer.status} {answer.body[:300]!r}")
        sizes.append(len(answer.body))

    figures = asyncio.run(_hammer(url, request, clients, seconds))
    return dataclasses.replace(figures, mean_bytes=statistics.fmean(sizes) if sizes else None)
