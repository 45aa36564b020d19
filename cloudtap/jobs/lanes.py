"""A lane for short jobs: long jobs never take a process's last job thread.

A files batch holds its thread for minutes and gives it up only between files (after
the transfers in flight end), so a one-task poll of another tenant arriving while every
thread runs a batch would still wait for a batch's in-flight files, twice (its planning,
then its task). With ``threads - 1`` threads at most running long jobs, one thread is
always free for short ones (logins, poll planning, info and data tasks). The planning of
a poll of many files is a long job too (a task row and an event per file: another
tenant's one-task poll would wait it out on the short lane). A process with one thread
has no lane to keep: its long jobs take it, as before.

The count is per process (each consumer knows its own threads); a deployment of many
workers keeps one short lane in each.
"""

from __future__ import annotations

import threading

# A files poll's planning: it writes a task row and an event per file.
FILES_POLL = "files_poll"
LONG_JOBS = frozenset({"file_batch", FILES_POLL})


class Lanes:
    """How many of this process's threads may run long jobs, and how many do."""

    def __init__(self, threads: int = 1) -> None:
        self._lock = threading.Lock()
        self._threads = threads
        self._long_limit = max(1, threads - 1)
        self._long_running = 0

    def set_threads(self, threads: int) -> None:
        with self._lock:
            self._threads = threads
            self._long_limit = max(1, threads - 1)

    def has_short_lane(self) -> bool:
        """Whether a thread is kept for short jobs (the process has more than one)."""
        return self._threads > 1

    def try_reserve_long(self) -> bool:
        """Take a long-job slot if one is free (give it back with :meth:`release_long`)."""
        with self._lock:
            if self._long_running >= self._long_limit:
                return False
            self._long_running += 1
            return True

    def long_running(self) -> bool:
        """Whether a long job runs on one of this process's threads now."""
        with self._lock:
            return self._long_running > 0

    def release_long(self) -> None:
        with self._lock:
            self._long_running = max(0, self._long_running - 1)


# The process's lanes: the consumer says how many threads it runs.
LANES = Lanes()
