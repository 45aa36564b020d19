"""Engines and sessions for the configured database (SQLite file or PostgreSQL)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from cloudtap.extras import require
from cloudtap.store import changes
from cloudtap.store.file_identity import FileIdentity
from cloudtap.store.sqlite_wal import enable_wal
from cloudtap.store.writer_gate import GatedConnection

_engines: dict[str, Engine] = {}
_identities: dict[str, FileIdentity] = {}
_makers: dict[str, sessionmaker[DbSession]] = {}
_lock = threading.Lock()

# The API's request threads (cloudtap.api.routing's 8, anyio's 40 for the rest, rarely
# busy at the same time) plus the job and sweeper threads of ``serve``; more than that
# overflow.
POOL_SIZE = 48
POOL_OVERFLOW = 32
# What each pooled SQLite connection may keep. At SQLite's and sqlite3's defaults (a
# 2 MB page cache, 128 prepared statements of ~14 KB) every connection the pool ever
# opened filled both over many polls (IN lists of each length are statements of their
# own), and ``serve``'s memory climbed with them (bench ``soak``). 64 statements hold
# what one connection runs again and again (assumed: the API's and the jobs' queries);
# the page cache is reset whenever another connection wrote (WAL), so more buys little.
STATEMENT_CACHE = 64
PAGE_CACHE_KIB = 256


# 19 digits in a row may be an integer beyond 64 bits, which orjson would read as a float.
_LONG_NUMBER = re.compile(r"\d{19}")


def _json_column(text: str | bytes) -> Any:
    """A JSON column's value, read with orjson: many times faster than the standard
    library, and every list read decodes one or more per row (a page of 20 polls, 40).
    What orjson would read differently or refuses (a long integer, ``NaN``; a poll's
    free-form payload may hold them) the standard library reads."""
    if _LONG_NUMBER.search(text if isinstance(text, str) else text.decode()) is None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the API read while a job writes; foreign keys make cascades real.
    cursor = dbapi_connection.cursor()
    enable_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    # In WAL mode NORMAL syncs the log at checkpoints, not at every commit: a commit
    # (and the writer lock it holds) no longer waits for the disk. Still consistent
    # always, and durable across a killed process; an OS crash or power cut may undo
    # the last commits (sqlite.org/pragma.html#pragma_synchronous).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
    cursor.close()


def _create(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            # Writers of this process take turns at a gate, urgent ones first
            # (cloudtap.store.writer_gate), instead of polling SQLite's lock.
            connect_args={
                "check_same_thread": False,
                "timeout": 10,
                "factory": GatedConnection,
                "cached_statements": STATEMENT_CACHE,
            },
            # Connections beyond the pool are closed on return and reopened (pragmas
            # and all) on the next request: keep one per thread that may use one.
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            json_deserializer=_json_column,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        if path and path != ":memory:":
            _watch_file(engine, url, Path(path))
    else:
        if url.startswith("postgresql"):
            require("psycopg")  # one line naming the [postgres] extra, not an ImportError
        # A server's connections are a shared resource: a smaller standing pool.
        engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=POOL_OVERFLOW,
            json_deserializer=_json_column,
        )
    changes.watch(engine)  # what kept API answers check (cloudtap.store.changes)
    return engine


def _watch_file(engine: Engine, url: str, path: Path) -> None:
    # Every unit of work checks out a connection: none writes to a deleted or replaced file.
    identity = FileIdentity(path)
    _identities[url] = identity
    event.listen(engine, "connect", lambda _conn, _record: identity.record())
    event.listen(engine, "checkout", lambda _conn, _record, _proxy: identity.check())


def check_database_file(url: str) -> None:
    """Raises ``DatabaseFileChanged`` if ``url``'s SQLite file was deleted or replaced
    since this process opened it (nothing to check for other databases)."""
    engine_for(url)
    identity = _identities.get(url)
    if identity is not None:
        identity.check()


def ping(url: str) -> None:
    """One round trip to the database (``SELECT 1``); raises if it does not answer."""
    with engine_for(url).connect() as connection:
        connection.execute(text("SELECT 1"))


def engine_for(url: str) -> Engine:
    with _lock:
        if url not in _engines:
            _engines[url] = _create(url)
            _makers[url] = sessionmaker(_engines[url], expire_on_commit=False)
        return _engines[url]


def sessionmaker_for(url: str) -> sessionmaker[DbSession]:
    engine_for(url)
    return _makers[url]


@contextmanager
def transaction(url: str) -> Iterator[DbSession]:
    """One unit of work: committed on success, rolled back on error."""
    with sessionmaker_for(url)() as db, db.begin():
        yield db


def on_commit(db: DbSession, action: Callable[[], None]) -> None:
    """Run ``action`` once this unit of work commits (e.g. enqueue a job for its rows)."""

    def _run(_session: DbSession) -> None:
        action()

    event.listen(db, "after_commit", _run, once=True)


def dispose_all() -> None:
    """Close pooled connections (tests and shutdown)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _makers.clear()
        for identity in _identities.values():
            identity.close()
        _identities.clear()
