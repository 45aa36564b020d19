"""SQLite's one writer, handed over in this process by a gate that lets short work first.

SQLite lets one connection write at a time; a writer that finds the file locked sleeps
in its busy handler (1, 2, 5, 10 ... up to 100 ms a try) and may wake long after the
lock came free, behind whichever writer retried first. Inside ``serve`` every writer is
a thread of one process, so a connection first takes this process's gate (at its first
write statement, where SQLite takes its lock) and gives it back when its transaction
ends: the writer is handed over at once, and a waiting *urgent* writer (an API request,
a poll's planning, a one-task poll's task) goes before waiting *bulk* ones (a files
batch's claims and settles, :func:`bulk_writes`). A bulk transaction of many
independent units may ask :func:`urgent_writer_waiting` between units and commit early.

SQLite's own lock still arbitrates between processes (a ``cloudtap worker`` or the CLI
beside ``serve``); the gate only orders this process's writers. A writer that waits
longer than the busy timeout, or a thread that asks again while it holds the gate (a
second connection of its own), proceeds ungated and meets SQLite's lock as before.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

# How long a writer waits for the gate before it proceeds to SQLite's own lock (and
# its busy timeout): as long as that timeout.
GATE_TIMEOUT_SECONDS = 10.0
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")

# Set while a long job (a files batch) writes: its writes wait for urgent ones.
_bulk: ContextVar[bool] = ContextVar("cloudtap_bulk_writes", default=False)


@contextmanager
def bulk_writes() -> Iterator[None]:
    """Writes in this context (and the threads and tasks it starts) are bulk writes."""
    token = _bulk.set(True)
    try:
        yield
    finally:
        _bulk.reset(token)


def is_bulk() -> bool:
    return _bulk.get()


class WriterGate:
    """One holder at a time; urgent waiters before bulk ones."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._holder: int | None = None  # the holding thread's ident
        self._urgent_waiting = 0
        self._bulk_waiting = 0

    def acquire(self, bulk: bool, timeout: float = GATE_TIMEOUT_SECONDS) -> bool:
        """Take the gate (False: not taken, within ``timeout`` or because this thread
        already holds it; the caller then goes on ungated)."""
        me = threading.get_ident()
        with self._changed:
            if self._holder == me:
                return False
            if bulk:
                self._bulk_waiting += 1
            else:
                self._urgent_waiting += 1
            try:
                free = self._changed.wait_for(
                    lambda: self._holder is None and (not bulk or not self._urgent_waiting),
                    timeout,
                )
            finally:
                if bulk:
                    self._bulk_waiting -= 1
                else:
                    self._urgent_waiting -= 1
            if free:
                self._holder = me
            else:
                self._changed.notify_all()  # a bulk waiter may go now that this one left
            return free

    def release(self) -> None:
        with self._changed:
            self._holder = None
            self._changed.notify_all()

    def urgent_waiting(self) -> bool:
        return self._urgent_waiting > 0

    def waiting(self) -> tuple[int, int]:
        """(urgent, bulk) writers waiting for the gate."""
        with self._changed:
            return self._urgent_waiting, self._bulk_waiting


# One per process: every SQLite database this process writes shares it (usually one).
GATE = WriterGate()


def urgent_writer_waiting() -> bool:
    """Whether an urgent writer waits: a bulk transaction of independent units should
    commit what it has and let it write."""
    return is_bulk() and GATE.urgent_waiting()


def _is_write(statement: str) -> bool:
    return statement.lstrip()[:7].upper().startswith(_WRITES)


class GatedCursor(sqlite3.Cursor):
    """Takes the gate before its connection's first write of a transaction."""

    def execute(self, sql: str, parameters: Any = (), /) -> GatedCursor:
        connection = self.connection
        assert isinstance(connection, GatedConnection)
        connection.before(sql)
        try:
            super().execute(sql, parameters)
        finally:
            connection.after()
        return self

    def executemany(self, sql: str, parameters: Any, /) -> GatedCursor:
        connection = self.connection
        assert isinstance(connection, GatedConnection)
        connection.before(sql)
        try:
            super().executemany(sql, parameters)
        finally:
            connection.after()
        return self


class GatedConnection(sqlite3.Connection):
    """A SQLite connection that holds :data:`GATE` from its first write to the end of
    its transaction (commit, rollback, close, or a statement that ended it)."""

    _holds_gate = False

    def cursor(self, factory: Any = GatedCursor) -> Any:
        return super().cursor(factory)

    # sqlite3's own shortcuts make a plain cursor: route them through a gated one.
    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        return self.cursor().executemany(sql, parameters)

    def before(self, sql: str) -> None:
        if not self._holds_gate and _is_write(sql):
            self._holds_gate = GATE.acquire(bulk=is_bulk())

    def after(self) -> None:
        if self._holds_gate and not self.in_transaction:
            self._let_go()  # the statement ran outside a transaction, or ended it

    def _let_go(self) -> None:
        if self._holds_gate:
            self._holds_gate = False
            GATE.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self._let_go()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._let_go()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._let_go()
