"""Peak resident memory of another process, sampled while something runs."""

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
