"""``api-mix``: every request a ricloud-py client makes, measured under 32 clients.

Each run measures, on the same ``serve``:

- the **bare endpoint** (``bench.runner.bench_serve``): the same authentication and one
  indexed read on the same engine, in a bare FastAPI app: the yardstick;
- the **mix**: ``clients`` replaying ricloud-py 3.2.0's sequence (``bench.runner.mix``),
  p50 and p99 of each request kind as it meets the others and the poll jobs;
- each **kind alone**: ``clients`` sending only it, back to back: its req/s against the
  bare endpoint's (the ratio) and its p99. ``POST /polls`` alone is a bounded burst
  (a key may have ``MAX_OPEN_POLLS`` polls open); the polls it created are what
  ``GET /polls/{id} (processing)`` then reads while the jobs work through them.

The server's CPU per request of each phase is recorded too (steadier than req/s when
other work shares the machine). A kind meets the target when its req/s alone is at least
half the bare endpoint's and its p99 is under 50 ms both alone and in the mix.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from bench.runner import mix as m
from bench.runner.api import CloudtapAPI
from bench.runner.bench_serve import BARE_PATH
from bench.runner.config import Config
from bench.runner.memory import cpu_of
from bench.runner.report import Runs, Scenario
from tests.cli.serve_process import ServedAPI

PAYLOAD = {"data_types": ["fmip.devices"]}  # one Apple request per poll: the API is measured
# Polls each client creates in the POST /polls burst: 32 clients x 3 stay under the
# key's MAX_OPEN_POLLS (100).
BURST_PER_CLIENT = 3
TARGET = "≥ 0.5x the bare authenticated endpoint, p99 < 50 ms (alone and in the mix)"
BARE = "bare authenticated endpoint"


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} within {timeout:.0f} s")
        time.sleep(0.1)


def _open_polls(api: CloudtapAPI) -> int:
    """Polls still pending or processing (a key has at most 100 open)."""
    return sum(
        len(api.http.get("/polls", params={"state": state, "limit": 100}).json()["data"])
        for state in ("pending", "processing")
    )


def _settled(api: CloudtapAPI, polls: list[str]) -> bool:
    return all(
        api.http.get(f"/polls/{p}").json()["state"] not in ("pending", "processing") for p in polls
    )


def _burst(served: ServedAPI, session: str, clients: int) -> tuple[m.Kind, list[str]]:
    """``POST /polls`` alone: each client creates ``BURST_PER_CLIENT`` polls back to back."""
    body = json.dumps({"session": session, "payload": PAYLOAD}).encode()
    headers = {**m.RICLOUD_HEADERS, "Authorization": f"Token {served.token}"}
    latencies: list[float] = []
    created: list[str] = []

    async def one(connection: m.Connection) -> None:
        try:
            for _ in range(BURST_PER_CLIENT):
                started = time.perf_counter()
                answer = await connection.request("POST", "/polls", headers, body)
                latencies.append(time.perf_counter() - started)
                if answer.status != 201:
                    raise m.UnexpectedAnswer(f"POST /polls: {answer.status} {answer.body!r}")
                created.append(answer.json()["id"])
        finally:
            connection.close()

    async def run() -> float:
        # Connected before the clock starts, as every other phase's clients are.
        connections = [await m.Connection.open(served.url) for _ in range(clients)]
        started = time.perf_counter()
        await asyncio.gather(*(one(c) for c in connections))
        return time.perf_counter() - started

    seconds = asyncio.run(run())
    return m.summary(latencies, seconds), created


def _targets(api: CloudtapAPI, sessions: list[str]) -> dict[str, tuple[str, list[str]]]:
    """What each read kind alone asks for: settled polls of the mix, their results. Only
    polls of the mix's own kind: in a run of every scenario the organisation's newest
    settled polls are otherwise other scenarios' (files polls of 77 results each)."""
    listed = api.http.get("/polls", params={"state": "completed", "limit": 100}).json()["data"]
    ids = [p["id"] for p in listed if p["payload"].get("data_types") == PAYLOAD["data_types"]]
    ids = ids[:20]
    if not ids:
        raise RuntimeError("api-mix: none of the mix's polls completed")
    results = [api.http.get("/results", params={"poll": p}).json()["data"][0] for p in ids]
    links = [urlsplit(r["signed_url"]["url"]) for r in results]
    return {
        m.POLL_SETTLED: ("GET", [f"/polls/{p}" for p in ids]),
        m.RESULTS: ("GET", [f"/results?poll={p}" for p in ids]),
        m.DOWNLOAD: ("GET", [f"{u.path}?{u.query}" for u in links]),
        m.EVENTS: ("GET", ["/events"]),
        m.ORGANISATION: ("GET", ["/organisation"]),
        m.SESSION: ("GET", [f"/sessions/{s}" for s in sessions]),
        m.POLLS: ("GET", ["/polls?limit=20"]),
    }


def _processing_share(api: CloudtapAPI, polls: list[str]) -> float:
    states = [api.http.get(f"/polls/{p}").json()["state"] for p in polls]
    return sum(s in ("pending", "processing") for s in states) / len(states)


def _one_run(
    config: Config, served: ServedAPI, api: CloudtapAPI, sessions: list[str]
) -> tuple[m.Kind, dict[str, m.Kind], dict[str, m.Kind], dict[str, float]]:
    """(bare, the mix, each kind alone, notes: burst polls still open, and the server's
    CPU per request of the bare endpoint and of each kind alone, ``cpu:<kind>``)."""
    clients, seconds = config.api_clients, config.api_seconds
    url, token = served.url, served.token
    notes: dict[str, float] = {}

    def measured(kind: str, run: Callable[[], m.Kind]) -> m.Kind:
        with cpu_of(served) as cpu:
            figures = run()
        notes[f"cpu:{kind}"] = cpu.seconds * 1000 / max(figures.requests, 1)
        return figures

    bare = measured(BARE, lambda: m.alone(url, token, "GET", [BARE_PATH], clients, seconds))
    mixed = m.mix(url, token, sessions, PAYLOAD, clients, seconds)
    _wait(lambda: _open_polls(api) == 0, 300, "the mix's polls did not settle")
    alone: dict[str, m.Kind] = {}
    for kind, (method, targets) in _targets(api, sessions).items():
        alone[kind] = measured(
            kind, partial(m.alone, url, token, method, targets, clients, seconds)
        )
    burst: list[str] = []

    def create() -> m.Kind:
        figures, created = _burst(served, sessions[0], clients)
        burst.extend(created)
        return figures

    alone[m.CREATE] = measured(m.CREATE, create)
    notes["processing_before"] = _processing_share(api, burst)
    alone[m.POLL_PROCESSING] = measured(
        m.POLL_PROCESSING,
        lambda: m.alone(url, token, "GET", [f"/polls/{p}" for p in burst], clients, seconds),
    )
    notes["processing_after"] = _processing_share(api, burst)
    _wait(lambda: _settled(api, burst), 600, "the burst's polls did not settle")
    return bare, mixed, alone, notes


def api_mix(
    name: str, config: Config, served: ServedAPI, api: CloudtapAPI, sessions: list[str]
) -> list[Scenario]:
    runs = [_one_run(config, served, api, sessions) for _ in range(config.runs)]
    bare = Runs([r[0].requests_per_second for r in runs])
    bare_p99 = Runs([r[0].p99_ms for r in runs])
    load = "/".join(f"{v:.1f}" for v in os.getloadavg())
    processing = [{k: r[3][k] for k in ("processing_before", "processing_after")} for r in runs]
    scenarios = []
    for kind in m.KINDS:
        rate = Runs([r[2][kind].requests_per_second for r in runs])
        p99_alone = Runs([r[2][kind].p99_ms for r in runs])
        p99_mix = Runs([r[1][kind].p99_ms for r in runs])
        ratio = rate.median / bare.median if bare.median else 0.0
        cpu = Runs([r[3][f"cpu:{kind}"] for r in runs])
        bare_cpu = Runs([r[3][f"cpu:{BARE}"] for r in runs])
        details: dict[str, Any] = {
            "kind": kind,
            "ratio_vs_bare": round(ratio, 3),
            # The server's CPU per request, bare's over this kind's: steadier than req/s
            # on a shared machine (includes the job threads' work where the kind makes it).
            "cpu_ms_per_request": [round(r[3][f"cpu:{kind}"], 3) for r in runs],
            "bare_cpu_ms_per_request": [round(r[3][f"cpu:{BARE}"], 3) for r in runs],
            "cpu_ratio_vs_bare": round(bare_cpu.median / cpu.median, 3) if cpu.median else 0,
            "p99_ms": round(max(p99_alone.median, p99_mix.median), 2),
            "alone": [r[2][kind].as_json() for r in runs],
            "mix": [r[1][kind].as_json() for r in runs],
            "bare": [r[0].as_json() for r in runs],
        }
        notes = [
            f"{kind}: alone {rate.text()} req/s, p99 {p99_alone.text()} ms; in the mix "
            f"{Runs([r[1][kind].requests_per_second for r in runs]).text()} req/s, p50 "
            f"{Runs([r[1][kind].p50_ms for r in runs]).text()} ms, p99 {p99_mix.text()} ms; "
            f"bare endpoint {bare.text()} req/s, p99 {bare_p99.text()} ms; "
            f"{ratio:.2f}x the bare endpoint; server CPU per request {cpu.text()} ms "
            f"(bare {bare_cpu.text()} ms)"
        ]
        if kind == m.POLL_PROCESSING:
            share = statistics.median(p["processing_before"] for p in processing)
            left = statistics.median(p["processing_after"] for p in processing)
            details["burst_polls_open"] = processing
            notes.append(
                f"alone: the {config.api_clients * BURST_PER_CLIENT} polls just created, "
                f"{share:.0%} of them pending or processing as the reads began, {left:.0%} "
                "as they ended"
            )
        scenario = Scenario(
            f"{name} {kind}", "requests/s", True, rate, BARE, bare, target=TARGET,
            met=ratio >= 0.5 and p99_alone.median < 50 and p99_mix.median < 50,
            notes=notes, details=details,
        )  # fmt: skip
        scenarios.append(scenario)
    scenarios[0].notes.append(
        f"{config.api_clients} keep-alive clients, {config.api_seconds:.0f} s per phase, "
        f"{config.runs} runs; every request with ricloud-py 3.2.0's headers; polls of "
        f"{PAYLOAD['data_types'][0]} on {len(sessions)} sandbox session(s); load average "
        f"(1/5/15 min) at the end: {load}"
    )
    return scenarios
