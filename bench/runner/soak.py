"""``soak``: many back-to-back listings (and a files poll after each) in one ``serve``,
its RSS sampled throughout.

Each cycle lists the whole library (``POST /polls {"data_types": ["icpl.photos"]}`` to
``completed``), then fetches the files of its newest assets; ``serve``'s RSS (children
included) is sampled every ``SAMPLE_SECONDS`` through all of it. Its RSS *after* a
cycle is the lowest it reads in the ``SETTLE_SECONDS`` after the files poll completed:
the floor it returns to between polls (a job thread gives memory back once it is idle,
which is after the poll reads ``completed``). Must show: the RSS after the last cycle
within 10% of the RSS after the first.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import psutil

from bench.runner.api import CloudtapAPI
from bench.runner.bench_serve import HEAP_PATH
from bench.runner.report import Runs, Scenario

SAMPLE_SECONDS = 0.25
SETTLE_SECONDS = 2.0
FILES_ASSETS = 20  # newest assets whose files each cycle's files poll fetches
MIB = 2**20
MARK_AFTER_CYCLE = 1  # the first cycle warms caches; growth is measured from the second
GROWN_LINES = 12
# Set (to anything) to trace allocations from the second cycle on: slower, for finding
# what is kept, not for the figure.
TRACE_VARIABLE = "BENCH_SOAK_TRACEMALLOC"


def rss_of(pid: int) -> int:
    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)])


@contextmanager
def rss_series(pid: int) -> Iterator[list[tuple[float, float]]]:
    """(seconds since the start, RSS in MiB) every ``SAMPLE_SECONDS`` inside the block."""
    series: list[tuple[float, float]] = []
    stop = threading.Event()
    started = time.monotonic()

    def sample() -> None:
        while not stop.is_set():
            with suppress(psutil.Error):  # a child that just ended
                series.append((round(time.monotonic() - started, 2), rss_of(pid) / MIB))
            stop.wait(SAMPLE_SECONDS)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield series
    finally:
        stop.set()
        thread.join()


def _floor(pid: int) -> float:
    """The lowest RSS over the next ``SETTLE_SECONDS`` (MiB)."""
    lowest = rss_of(pid)
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        threading.Event().wait(0.1)
        lowest = min(lowest, rss_of(pid))
    return lowest / MIB


def _heap_text(heap: dict[str, Any]) -> str:
    python, malloc = heap["pymalloc"], heap["malloc"] or {}
    return (f"{python['in_use']:.0f}/{python['arenas']:.0f}/"
            f"{malloc.get('in_use', 0):.0f},{malloc.get('free', 0):.0f}")  # fmt: skip


def _grown_types(first: dict[str, Any], last: dict[str, Any]) -> str:
    before = dict(first["top_types"])
    grown = sorted(((n - before.get(t, 0), t) for t, n in last["top_types"]), reverse=True)
    return ", ".join(f"{t} {d:+d}" for d, t in grown[:8])


def soak(name: str, cycles: int, api: CloudtapAPI, session: str, pid: int) -> Scenario:
    after: list[float] = []
    heaps: list[dict[str, Any]] = []
    listing_seconds: list[float] = []
    start = api.http.get(HEAP_PATH).json()  # after startup and login, before any poll
    with rss_series(pid) as series:
        for cycle in range(cycles):
            seconds, poll = api.poll(session, {"data_types": ["icpl.photos"]})
            listing_seconds.append(seconds)
            items = api.json_items(poll)
            files = sorted({f["id"] for item in items[:FILES_ASSETS] for f in item["files"]})
            _, files_poll = api.poll(session, {"files": files})
            if len(api.results(str(files_poll["id"]))) != len(files):
                raise RuntimeError(f"files poll {files_poll['id']} missed files")
            after.append(_floor(pid))
            heaps.append(api.http.get(HEAP_PATH).json())  # after the floor: it collects
            if cycle == MARK_AFTER_CYCLE and os.environ.get(TRACE_VARIABLE):
                api.http.post(HEAP_PATH + "/mark")  # traces what later cycles keep
    grown = api.http.get(HEAP_PATH, params={"grown": GROWN_LINES}).json()["grown"]
    first, last = after[0], after[-1]
    peak = max(rss for _, rss in series)
    growth = last / first - 1
    return Scenario(
        name, "MiB after each cycle", False, Runs(after), None, None,
        target="RSS after the last cycle within 10% of the RSS after the first",
        met=abs(growth) <= 0.10,
        notes=[f"{cycles} cycles of a {len(items)}-asset listing then a files poll of "
               f"{len(files)} files, in one `cloudtap serve`; RSS after (its low in the "
               f"{SETTLE_SECONDS:.0f} s after each cycle) the first "
               f"{first:.1f} MiB, after the last {last:.1f} MiB ({growth:+.1%}), peak "
               f"{peak:.1f} MiB over {len(series)} samples every {SAMPLE_SECONDS} s; "
               f"listing {Runs(listing_seconds).text()} s",
               "RSS after each cycle: " + ", ".join(f"{v:.0f}" for v in after),
               "Python's blocks in use / pymalloc arenas / malloc's heap in use, free "
               f"(MiB) before the first cycle {_heap_text(start)}, after each: "
               + "; ".join(_heap_text(h) for h in heaps),
               f"objects after the first cycle {heaps[0]['objects']}, after the last "
               f"{heaps[-1]['objects']}; grown most: {_grown_types(heaps[0], heaps[-1])}; "
               f"database pool then: {heaps[-1]['pool']}",
               *[f"kept since cycle {MARK_AFTER_CYCLE + 1} (tracemalloc): "
                 f"{g['kib']:+.0f} KiB in {g['blocks']:+d} blocks at "
                 + " < ".join(g["traceback"][-2:-8:-2]) for g in grown],
               "RSS series (s, MiB), every 8th sample: " + ", ".join(
                   f"{t:.0f}:{v:.0f}" for t, v in series[::8])],
    )  # fmt: skip
