"""Switching a SQLite file to WAL while another process does the same."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cloudtap.store.sqlite_wal import enable_wal


class _LockedThenFree:
    """A connection whose first ``journal_mode`` switches meet a concurrent switch."""

    def __init__(self, refusals: int, message: str = "database is locked") -> None:
        self.refusals = refusals
        self.message = message
        self.calls = 0

    def execute(self, sql: str) -> None:
        assert sql == "PRAGMA journal_mode=WAL"
        self.calls += 1
        if self.calls <= self.refusals:
            raise sqlite3.OperationalError(self.message)


def test_a_switch_refused_by_a_concurrent_one_is_retried() -> None:
    # SQLite answers "database is locked" at once here (no busy handler), so the old
    # one-shot pragma failed a child process now and then in tests/jobs/test_locks.py.
    connection = _LockedThenFree(refusals=3)
    enable_wal(connection, timeout=5)
    assert connection.calls == 4


def test_a_lock_that_outlasts_the_timeout_still_fails() -> None:
    connection = _LockedThenFree(refusals=10_000)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        enable_wal(connection, timeout=0.2)


def test_other_errors_are_not_retried() -> None:
    connection = _LockedThenFree(refusals=1, message="disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        enable_wal(connection, timeout=5)
    assert connection.calls == 1


def test_a_real_file_ends_in_wal(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "x.sqlite", isolation_level=None)
    enable_wal(connection)
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    connection.close()
