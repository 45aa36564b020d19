"""``listing-1m``: a library of a million assets listed through the API, against the bare
client at the same concurrency, with ``serve``'s peak RSS, proof that the result file
grows while the listing runs, and what a no-change repeat costs."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.runner import bare
from bench.runner.api import CloudtapAPI
from bench.runner.memory import cpu_of, sampled_peak_rss
from bench.runner.processes import SandboxProcess
from bench.runner.provenance import LoadSampler
from bench.runner.report import Runs, Scenario
from cloudtap.icloud.services.photos import PAGE_ASSETS, PAGE_CONCURRENCY
from cloudtap.sandbox.accounts.scenarios import DOMAIN
from cloudtap.sandbox.photos.container import KEPT_LIBRARY_ASSETS
from tests.cli.serve_process import ServedAPI

RSS_TARGET_MIB = 250
TIME_TARGET = 1.15  # x the bare client
# What marks one listed asset in the result file (``dump_item``'s compact JSON).
_ITEM_MARK = b'"data_type":"icpl.asset"'
_CHUNK = 8 * 2**20


@dataclass
class Growth:
    """Sizes of the result file being written, ``(seconds since start, bytes)``."""

    samples: list[tuple[float, int]] = field(default_factory=list)

    def first_bytes_at(self) -> float | None:
        return next((t for t, size in self.samples if size > 0), None)

    def distinct_sizes(self) -> int:
        return len({size for _, size in self.samples if size > 0})


@contextmanager
def partial_growth(root: Path, interval: float = 0.1) -> Iterator[Growth]:
    """Samples the largest ``*.partial`` file under ``root`` (the result store writes a
    result there until it is complete) while the block runs."""
    growth = Growth()
    stop = threading.Event()
    started = time.perf_counter()

    def sample() -> None:
        while not stop.is_set():
            sizes = []
            for path in root.rglob("*.partial"):
                # Completed (renamed) between the listing and the stat: not partial any more.
                with suppress(FileNotFoundError):
                    sizes.append(path.stat().st_size)
            if sizes:
                growth.samples.append((time.perf_counter() - started, max(sizes)))
            stop.wait(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield growth
    finally:
        stop.set()
        thread.join()


def counted_items(path: Path) -> int:
    """Listed assets in a result file, read in chunks (a million items do not fit a
    parsed list in the bench's own memory)."""
    found, tail = 0, b""
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            window = tail + chunk
            found += window.count(_ITEM_MARK)
            # Keep a mark's worth of bytes so a mark cut by the chunk is counted once.
            tail = window[-(len(_ITEM_MARK) - 1) :]
    return found


@contextmanager
def _sampling(load: LoadSampler) -> Iterator[None]:
    """Adds the load during the block to ``load``'s samples (one sampler, many blocks)."""
    with LoadSampler(every=load.every) as block:
        yield
    load.samples += block.samples


def _mean(load: LoadSampler) -> float:
    return sum(load.samples) / len(load.samples) if load.samples else float("nan")


def million_listing(
    runs: int, latency_ms: int, sandbox: SandboxProcess, served: ServedAPI, api: CloudtapAPI,
    library: str, assets: int,
) -> list[Scenario]:  # fmt: skip
    apple_id = f"{library}@{DOMAIN}"
    if assets <= KEPT_LIBRARY_ASSETS:
        # Pages the sandbox keeps: built once, untimed, so the first timed run (cloudtap's)
        # does not pay for building what the bare client after it gets from the cache.
        asyncio.run(bare.timed_listing(sandbox.proxy_url, sandbox.ca_file, apple_id))
    session = api.login(apple_id)
    ours, limit, peaks, cpu_ms, first_bytes = [], [], [], [], []
    # The machine's load during each side's runs: a shared host's load moves the times
    # (a 1M listing runs for minutes; the two sides do not run at the same moment).
    load_ours, load_bare = LoadSampler(every=2.0), LoadSampler(every=2.0)
    items, result_mb = 0, 0.0
    listed_at = 0.0
    streamed = True
    for _ in range(runs):
        with (
            sampled_peak_rss(served.process.pid) as peak,
            cpu_of(served) as cpu,
            partial_growth(served.data_dir) as growth,
            _sampling(load_ours),
        ):
            seconds, poll = api.poll(session, {"data_types": ["icpl.photos"]})
        listed_at = time.time()
        [result] = poll["results"]["data"]
        path = Path(result["url"].removeprefix("local://"))
        items = counted_items(path)
        size = path.stat().st_size
        path.unlink()  # a million items are ~1 GB on disk; the next run writes its own
        with _sampling(load_bare):
            took, bare_count = asyncio.run(
                bare.timed_listing(sandbox.proxy_url, sandbox.ca_file, apple_id)
            )
        if items != bare_count:
            raise RuntimeError(f"cloudtap listed {items} assets, the bare client {bare_count}")
        ours.append(seconds)
        limit.append(took)
        peaks.append(peak.mib)
        cpu_ms.append(cpu.seconds / items * 1000)
        # Streamed: the file had bytes in the first half of the poll and grew many times.
        first = growth.first_bytes_at()
        streamed &= first is not None and first < seconds / 2 and growth.distinct_sizes() >= 3
        first_bytes.append(first if first is not None else float("nan"))
        result_mb = size / 1e6
    since = datetime.fromtimestamp(listed_at, UTC).isoformat()
    again = time.time()
    repeat_seconds, repeat = api.poll(
        session, {"data_types": ["icpl.photos"], "filters": {"since": since}}
    )
    repeat_requests = sandbox.requests_since(again)
    repeat_paths = sandbox.paths_since(again)
    [result] = repeat["results"]["data"]
    repeat_items = counted_items(Path(result["url"].removeprefix("local://")))
    pages = -(-items // PAGE_ASSETS)
    floor = pages / PAGE_CONCURRENCY * latency_ms / 1000
    vs_bare = Runs(ours).median / Runs(limit).median
    return [
        Scenario(
            "listing-1m", "seconds", False, Runs(ours), None, None,
            target=f"≤ {TIME_TARGET}x the bare client at {PAGE_CONCURRENCY} pages in flight",
            met=vs_bare <= TIME_TARGET and streamed, bare=Runs(limit),
            notes=[
                f"{items} assets ({library}@, hidden ones are out of the index) listed by "
                f"cloudtap (POST /polls to completed) and the bare client (listing only); "
                f"cloudtap takes {vs_bare:.2f}x the bare client's time; mean 1-minute load "
                f"during cloudtap's runs {_mean(load_ours):.1f}, the bare client's "
                f"{_mean(load_bare):.1f}",
                f"result file {result_mb:.0f} MB, streamed: its partial file had its first "
                f"bytes {Runs(first_bytes).text()} s into the poll and grew while pages "
                f"arrived ({'yes' if streamed else 'NO'})",
                f"CPU of the whole cloudtap server per listed asset: {Runs(cpu_ms).text()} ms; "
                f"latency floor ({pages} pages / {PAGE_CONCURRENCY} in flight x {latency_ms} "
                f"ms): {floor:.1f} s, bare client at {Runs(limit).median / floor:.2f}x of it"
                + (
                    "; the sandbox builds every page anew (they do not fit its reply cache)"
                    if items > KEPT_LIBRARY_ASSETS else ""
                ),
            ],
        ),
        Scenario(
            "rss-1m", "MiB", False, Runs(peaks), None, None, target=f"< {RSS_TARGET_MIB} MiB",
            met=Runs(peaks).median < RSS_TARGET_MIB,
            notes=["peak RSS of the whole `cloudtap serve` process (API, job threads) during "
                   "each listing poll, sampled every 50 ms; the sandbox runs elsewhere"],
        ),
        Scenario(
            "repeat-1m", "Apple requests", False, Runs([float(repeat_requests)]), None, None,
            target="1 Apple request, nothing new", met=repeat_requests <= 1 and not repeat_items,
            notes=[f"no-change poll (since = the end of the last listing): "
                   f"{repeat_seconds:.2f} s from POST /polls to completed, "
                   f"{repeat_items} items; asked: {', '.join(repeat_paths) or 'nothing'}"],
        ),
    ]  # fmt: skip
