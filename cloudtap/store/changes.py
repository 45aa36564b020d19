"""A counter of this process's writes to the rows API answers are built from.

An answer kept in memory (``cloudtap.api.kept``) is good while ``generation()`` is what
it was when the answer's rows were read. Every statement through this process's engines
that changes a watched table (an INSERT, or an UPDATE/DELETE that touched a row) moves
the counter as it runs, and again when its connection goes back to the pool, i.e. after
its transaction committed or rolled back: a reader that took the number before that
commit and read the old rows holds a number that is already gone.

Writes by other processes (another ``cloudtap serve``, a ``cloudtap worker``, a database
edited by hand) do not move it: whoever keeps answers also bounds their age.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event

# Everything a poll's answer, or whether the caller may see it, is read from. SQLite's
# ON DELETE CASCADE removes child rows without a statement of their own, so the parents
# (a deleted session takes its polls) are watched too. Events, audit lines, idempotency
# records and listing cursors are not.
WATCHED = frozenset(
    {
        "organisations",
        "keys",
        "users",
        "sources",
        "sessions",
        "subscriptions",
        "polls",
        "tasks",
        "results",
        "storage_configs",
    }
)

_TARGET = re.compile(
    r'\s*(?:(INSERT)(?:\s+OR\s+\w+)?\s+INTO|(UPDATE)(?:\s+OR\s+\w+)?|(DELETE)\s+FROM)\s+"?(\w+)',
    re.IGNORECASE,
)
_TOUCHED = "cloudtap_changes_touched"

_generation = 0
_lock = threading.Lock()
# Called (on the writing thread) once a connection that changed watched rows is back in
# the pool, i.e. after its transaction ended: ``Ricloud-Await`` reads states at once.
_committed: list[Callable[[], None]] = []


def generation() -> int:
    """The current number; compare it with the one an answer was built under."""
    return _generation


def bump() -> None:
    global _generation
    with _lock:
        _generation += 1


def writes_watched_rows(statement: str, rowcount: int) -> bool:
    """Whether ``statement`` (SQL text) changed a watched table; ``rowcount`` as the
    driver reports it (0: an UPDATE/DELETE that matched nothing; -1: unknown)."""
    found = _TARGET.match(statement)
    if found is None or found.group(4).lower() not in WATCHED:
        return False
    return bool(found.group(1)) or rowcount != 0


def _after_execute(
    conn: Any, cursor: Any, statement: str, _parameters: Any, _context: Any, _many: bool
) -> None:
    if writes_watched_rows(statement, cursor.rowcount):
        conn.info[_TOUCHED] = True
        bump()


def _checked_in(_dbapi_connection: Any, record: Any) -> None:
    if record is not None and record.info.pop(_TOUCHED, False):
        bump()
        for listener in list(_committed):
            listener()


def on_committed(listener: Callable[[], None]) -> Callable[[], None]:
    """Calls ``listener`` after each transaction of this process that wrote watched rows
    has ended; returns what removes it. Listeners must be quick and never raise."""
    _committed.append(listener)

    def remove() -> None:
        if listener in _committed:
            _committed.remove(listener)

    return remove


def watch(engine: Engine) -> None:
    """Counts ``engine``'s writes (called once per engine, as it is made)."""
    event.listen(engine, "after_cursor_execute", _after_execute)
    event.listen(engine.pool, "checkin", _checked_in)
