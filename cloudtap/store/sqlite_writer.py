"""One writer at a time per SQLite file within this process, waiting on a lock.

SQLite lets one connection write at a time. A second writer of the same process meets
"database is locked" and SQLite's busy handler, which sleeps and retries (1, 2, 5, 10,
... up to 100 ms a sleep) rather than waking when the lock is freed: under many
concurrent writers (the API's ``POST /polls`` while job threads record tasks), a write
that could start a millisecond later waits tens to hundreds of milliseconds.

So a connection about to run its first write statement takes this process's writer lock
for the file, and gives it back as soon as its transaction has committed or rolled back
(or the connection is closed or returned to the pool). Other processes still meet SQLite's
own locking and busy timeout. The lock is waited for at most as long as the busy
timeout; past that the write goes ahead and SQLite decides, as it would without it (a
thread writing through two connections at once never deadlocks on it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


def is_write(statement: str) -> bool:
    return statement.lstrip()[:6].upper() in _WRITES


def serialize_writers(engine: Engine, wait_seconds: float) -> None:
    """Makes ``engine``'s writers take turns (called once, as the engine is made)."""
    lock = threading.Lock()
    holder: list[Any] = [None]  # the DBAPI connection holding the lock, if one does

    def before_execute(
        conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        dbapi_connection = conn.connection.dbapi_connection
        if holder[0] is dbapi_connection or not is_write(statement):
            return
        if lock.acquire(timeout=wait_seconds):
            holder[0] = dbapi_connection

    def released(connection: Any, *_args: Any) -> None:
        # Ended, back in the pool, closed, detached or invalidated: its transaction is over.
        # (The dialect is handed the pool's proxy, the pool events the driver's connection.)
        dbapi_connection = getattr(connection, "dbapi_connection", connection)
        if dbapi_connection is not None and holder[0] is dbapi_connection:
            holder[0] = None
            lock.release()

    def then_released(end: Callable[[Any], None]) -> Callable[[Any], None]:
        def ending(dbapi_connection: Any) -> None:
            try:
                end(dbapi_connection)
            finally:
                released(dbapi_connection)

        return ending

    event.listen(engine, "before_cursor_execute", before_execute)
    # Released once the transaction has ended (SQLite's lock is free by then), not before:
    # SQLAlchemy's commit and rollback events come before the driver's.
    dialect = engine.dialect
    setattr(dialect, "do_commit", then_released(dialect.do_commit))  # noqa: B010
    setattr(dialect, "do_rollback", then_released(dialect.do_rollback))  # noqa: B010
    for ended in ("checkin", "close", "detach", "invalidate", "soft_invalidate"):
        event.listen(engine.pool, ended, released)
