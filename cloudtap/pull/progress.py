"""Progress of a pull: live rich bars on a terminal, a plain log otherwise.

Per data type: items listed, files done/total, bytes, rate and ETA.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Protocol

LOG_EVERY_SECONDS = 5.0


class Progress(Protocol):
    def listing(self, data_type: str, mode: str) -> None: ...
    def listed(self, data_type: str, items: int) -> None: ...
    def files(self, data_type: str, count: int, size: int) -> None: ...
    def fetched(self, data_type: str, size: int) -> None: ...
    def done(self, data_type: str, note: str = "") -> None: ...
    def message(self, text: str) -> None: ...
    def close(self) -> None: ...


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


class _Counts:
    def __init__(self) -> None:
        self.items = 0
        self.total_files = self.done_files = 0
        self.total_bytes = self.done_bytes = 0
        self.started = time.monotonic()


class PlainProgress:
    """One line per step, and every few seconds while files arrive."""

    def __init__(self, out: Any = None) -> None:
        self.out = out or sys.stderr
        self.counts: dict[str, _Counts] = {}
        self._last = 0.0

    def _say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def listing(self, data_type: str, mode: str) -> None:
        self.counts[data_type] = _Counts()
        self._say(f"{data_type}: listing ({mode})")

    def listed(self, data_type: str, items: int) -> None:
        self.counts[data_type].items = items
        self._say(f"{data_type}: {items} items")

    def files(self, data_type: str, count: int, size: int) -> None:
        c = self.counts.setdefault(data_type, _Counts())
        c.total_files, c.total_bytes, c.started = count, size, time.monotonic()
        if count:
            self._say(f"{data_type}: {count} files to fetch ({_size(size)})")

    def fetched(self, data_type: str, size: int) -> None:
        c = self.counts[data_type]
        c.done_files += 1
        c.done_bytes += size
        now = time.monotonic()
        if now - self._last >= LOG_EVERY_SECONDS or c.done_files == c.total_files:
            self._last = now
            elapsed = max(now - c.started, 1e-6)
            rate = c.done_bytes / elapsed
            # Sizes are not always announced (contact photos): then go by file count.
            left = elapsed * (c.total_files - c.done_files) / c.done_files
            self._say(
                f"{data_type}: {c.done_files}/{c.total_files} files, {_size(c.done_bytes)}"
                f" at {_size(rate)}/s, ETA {left:.0f} s"
            )

    def done(self, data_type: str, note: str = "") -> None:
        self._say(f"{data_type}: done{' — ' + note if note else ''}")

    def message(self, text: str) -> None:
        self._say(text)

    def close(self) -> None:
        pass


class RichProgress:
    """One bar per data type: bytes fetched of the bytes to fetch, with rate and ETA."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),  # beside the plain log: stdout has the result
        )
        self._bar.start()
        self._tasks: dict[str, Any] = {}
        self.counts: dict[str, _Counts] = {}

    def _describe(self, data_type: str, state: str) -> None:
        c = self.counts[data_type]
        text = f"{data_type:<24} {c.items:>7} items  {c.done_files}/{c.total_files} files {state}"
        self._bar.update(self._tasks[data_type], description=text)

    def listing(self, data_type: str, mode: str) -> None:
        self.counts[data_type] = _Counts()
        self._tasks[data_type] = self._bar.add_task("", total=None)
        self._describe(data_type, f"listing ({mode})…")

    def listed(self, data_type: str, items: int) -> None:
        self.counts[data_type].items = items
        self._describe(data_type, "")

    def files(self, data_type: str, count: int, size: int) -> None:
        c = self.counts[data_type]
        c.total_files, c.total_bytes = count, size
        self._bar.update(self._tasks[data_type], total=max(size, 1), completed=0)
        self._describe(data_type, "")

    def fetched(self, data_type: str, size: int) -> None:
        c = self.counts[data_type]
        c.done_files += 1
        c.done_bytes += size
        self._bar.update(self._tasks[data_type], completed=c.done_bytes)
        self._describe(data_type, "")

    def done(self, data_type: str, note: str = "") -> None:
        c = self.counts[data_type]
        self._bar.update(
            self._tasks[data_type], total=max(c.total_bytes, 1), completed=max(c.total_bytes, 1)
        )
        self._describe(data_type, note or "✓")

    def message(self, text: str) -> None:
        self._bar.console.print(text)

    def close(self) -> None:
        self._bar.stop()


def progress_for(stream: Any = None) -> Progress:
    stream = stream or sys.stderr
    return RichProgress() if stream.isatty() else PlainProgress(stream)
