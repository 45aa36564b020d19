"""Switching a SQLite file to write-ahead logging, safely under concurrency."""

from __future__ import annotations

import sqlite3
import time
from typing import Any, Protocol


class _Executes(Protocol):
    def execute(self, sql: str, /) -> Any: ...


def enable_wal(connection: _Executes, *, timeout: float = 10.0) -> None:
    """``PRAGMA journal_mode=WAL``, waiting out another connection's switch.

    When two processes open a new file and switch it at the same moment, SQLite answers
    one of them "database is locked" at once, without its busy handler (which would risk
    a deadlock), so the busy timeout does not cover this: retry with backoff instead.
    """
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
