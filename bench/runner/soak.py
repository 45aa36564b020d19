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

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import psutil

from bench.runner.api import CloudtapAPI
from bench.runner.report import Runs, Scenario

SAMPLE_SECONDS = 0.25
SETTLE_SECONDS = 2.0
FILES_ASSETS = 20  # newest assets whose files each cycle's files poll fetches
MIB = 2**20


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


def soak(name: str, cycles: int, api: CloudtapAPI, session: str, pid: int) -> Scenario:
    after: list[float] = []
    listing_seconds: list[float] = []
    with rss_series(pid) as series:
        for _ in range(cycles):
            seconds, poll = api.poll(session, {"data_types": ["icpl.photos"]})
            listing_seconds.append(seconds)
            items = api.json_items(poll)
            files = sorted({f["id"] for item in items[:FILES_ASSETS] for f in item["files"]})
            _, files_poll = api.poll(session, {"files": files})
            if len(api.results(str(files_poll["id"]))) != len(files):
                raise RuntimeError(f"files poll {files_poll['id']} missed files")
            after.append(_floor(pid))
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
               "RSS series (s, MiB), every 8th sample: " + ", ".join(
                   f"{t:.0f}:{v:.0f}" for t, v in series[::8])],
    )  # fmt: skip
