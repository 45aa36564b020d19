"""Peak resident memory and CPU time of another process while something runs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psutil


class PeakRSS:
    def __init__(self) -> None:
        self.peak_bytes = 0

    @property
    def mib(self) -> float:
        return self.peak_bytes / 2**20


@contextmanager
def sampled_peak_rss(pid: int, interval: float = 0.05) -> Iterator[PeakRSS]:
    """The process's RSS (its children included) every ``interval`` seconds; the max."""
    process = psutil.Process(pid)
    peak = PeakRSS()
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            try:
                members = [process, *process.children(recursive=True)]
                peak.peak_bytes = max(peak.peak_bytes, sum(p.memory_info().rss for p in members))
            except psutil.Error:
                pass
            stop.wait(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


class CPU:
    seconds = 0.0


@contextmanager
def cpu_of(owner: object) -> Iterator[CPU]:
    """User + system CPU seconds ``owner.process`` (a Popen) spent inside the block."""
    process = psutil.Process(owner.process.pid)  # type: ignore[attr-defined]
    spent = CPU()
    before = process.cpu_times()
    try:
        yield spent
    finally:
        after = process.cpu_times()
        spent.seconds = (after.user - before.user) + (after.system - before.system)
