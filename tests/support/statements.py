"""Counts the SQL statements and commits a piece of code makes on a database (tests that
pin how many a request or a job takes, so a re-read or an N+1 cannot come back)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event

from cloudtap.config import Settings
from cloudtap.store.db import engine_for

WRITES = ("INSERT", "UPDATE", "DELETE")


@dataclass
class Seen:
    statements: list[str] = field(default_factory=list)
    commits: int = 0
    write_commits: int = 0  # commits of transactions that wrote (reads commit too)
    written: bool = False  # since the last commit


@contextmanager
def counted_statements(settings: Settings, this_thread_only: bool = False) -> Iterator[Seen]:
    """Every statement and commit on ``settings``' database while the block runs (only
    this thread's with ``this_thread_only``: jobs run here while others may not)."""
    seen, me = Seen(), threading.get_ident()

    def ours() -> bool:
        return not this_thread_only or threading.get_ident() == me

    def statement(*args: object) -> None:
        if ours():
            text = str(args[2])
            seen.statements.append(text)
            seen.written |= text.lstrip().upper().startswith(WRITES)

    def commit(*_args: object) -> None:
        if ours():
            seen.commits += 1
            seen.write_commits += seen.written
            seen.written = False

    engine = engine_for(settings.database_url)
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
