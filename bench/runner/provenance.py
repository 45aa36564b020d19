"""Where and when a benchmark ran: commit, date, machine and the load it shared the
machine with. Every result file carries it, so a figure is never read without them."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil


def git_commit(repo: Path) -> str:
    """The commit measured; ``+dirty`` when the work tree had uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}+dirty" if dirty else commit


def machine() -> dict[str, Any]:
    return {
        "arch": platform.machine(),
        "system": platform.system(),
        "cores": psutil.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
    }


@dataclass
class LoadSampler:
    """Samples the 1-minute load average every ``every`` seconds until stopped: the load
    *during* the run, not just at its ends (other work on a shared host moves figures)."""

    every: float = 5.0
    samples: list[float] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> LoadSampler:
        self.samples.append(os.getloadavg()[0])
        self._thread = threading.Thread(target=self._run, name="load-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.samples.append(os.getloadavg()[0])

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.samples.append(os.getloadavg()[0])

    def summary(self) -> dict[str, float | int]:
        values = self.samples or [os.getloadavg()[0]]
        return {
            "samples": len(values),
            "min": round(min(values), 2),
            "mean": round(sum(values) / len(values), 2),
            "max": round(max(values), 2),
        }


def provenance(repo: Path, started: dt.datetime, load: LoadSampler) -> dict[str, Any]:
    return {
        "commit": git_commit(repo),
        "date": started.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_1m": load.summary(),
    }


def kept_name(commit: str, quick: bool) -> str:
    """A kept run's file name: its commit (short), ``-quick`` for quick runs."""
    short = commit.split("+")[0][:7]
    dirty = "-dirty" if commit.endswith("+dirty") else ""
    return f"{short}{dirty}{'-quick' if quick else ''}.json"
