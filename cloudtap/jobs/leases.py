"""Counted leases with a time-to-live, kept where every process of a deployment looks.

A lease is one of at most ``limit`` holders of a name (``limit=1``: a lock). Each holder
has a random token and an expiry; a holder that dies simply stops renewing, and its
lease lapses after ``ttl`` seconds, so nobody waits forever on a crashed worker.

Two stores, matching the job queue (which every process of a deployment already shares):

- Redis (``CLOUDTAP_QUEUE_URL=redis://...``): a sorted set per name, member = token,
  score = expiry in Redis's own clock; each operation is one atomic Lua script.
- SQLite (the embedded default): a table in a file beside the queue's, changed inside
  ``BEGIN IMMEDIATE`` transactions, for several processes on one machine.

The calls are synchronous and short; async callers run them in a thread.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cloudtap.extras import require
from cloudtap.store.sqlite_wal import enable_wal

if TYPE_CHECKING:
    import redis


class LeaseStore(Protocol):
    def try_acquire(self, name: str, token: str, limit: int, ttl: float) -> bool:
        """Take a lease if fewer than ``limit`` live ones exist; never blocks."""
        ...

    def renew(self, name: str, token: str, ttl: float) -> bool:
        """Push this holder's expiry ``ttl`` seconds ahead; False if it had lapsed."""
        ...

    def release(self, name: str, token: str) -> None: ...

    def holders(self, name: str) -> int:
        """How many unexpired leases of ``name`` there are (reads only)."""
        ...

    def remaining(self, name: str) -> float:
        """Seconds until the last live lease of ``name`` lapses; 0 when none is live."""
        ...


# Scores are milliseconds of the Redis server's clock, so workers' clocks may disagree.
_NOW_MS = "local t = redis.call('TIME'); local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"
_KEEP_KEY = "if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end\n"
_ACQUIRE = (
    _NOW_MS
    + "local ttl = tonumber(ARGV[3])\n"
    + "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)\n"
    + "if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end\n"
    + "redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])\n"
    + _KEEP_KEY
    + "return 1\n"
)
# Counted by the Redis server's clock, like the leases themselves.
_HOLDERS = _NOW_MS + "return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')\n"
_REMAINING = (
    _NOW_MS
    + "local top = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')\n"
    + "if #top == 0 or tonumber(top[2]) <= now then return 0 end\n"
    + "return tonumber(top[2]) - now\n"
)
_RENEW = (
    _NOW_MS
    + "local ttl = tonumber(ARGV[2])\n"
    + "local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])\n"
    + "if not expiry or tonumber(expiry) <= now then return 0 end\n"
    + "redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])\n"
    + _KEEP_KEY
    + "return 1\n"
)


class RedisLeases:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix
        self._acquire = client.register_script(_ACQUIRE)
        self._renew = client.register_script(_RENEW)
        self._holders = client.register_script(_HOLDERS)
        self._remaining = client.register_script(_REMAINING)

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisLeases:
        # The Redis client (~15 MiB) is loaded only by deployments that use Redis.
        redis = require("redis")
        return cls(redis.Redis.from_url(url), prefix)

    def _key(self, name: str) -> str:
        return f"{self._prefix}{name}"

    def try_acquire(self, name: str, token: str, limit: int, ttl: float) -> bool:
        ttl_ms = max(1, int(ttl * 1000))
        return bool(self._acquire(keys=[self._key(name)], args=[token, limit, ttl_ms]))

    def renew(self, name: str, token: str, ttl: float) -> bool:
        ttl_ms = max(1, int(ttl * 1000))
        return bool(self._renew(keys=[self._key(name)], args=[token, ttl_ms]))

    def release(self, name: str, token: str) -> None:
        self._redis.zrem(self._key(name), token)

    def holders(self, name: str) -> int:
        return int(self._holders(keys=[self._key(name)]))

    def remaining(self, name: str) -> float:
        return int(self._remaining(keys=[self._key(name)])) / 1000


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS leases ("
    " name TEXT NOT NULL, token TEXT NOT NULL, expires REAL NOT NULL,"
    " PRIMARY KEY (name, token))"
)


class SqliteLeases:
    """Leases in a SQLite file; ``time.time()`` is one clock since the file is local."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            enable_wal(db)
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        # Autocommit mode: each method opens its own explicit transaction.
        return sqlite3.connect(self.path, timeout=10, isolation_level=None)

    def try_acquire(self, name: str, token: str, limit: int, ttl: float) -> bool:
        now = time.time()
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM leases WHERE name = ? AND expires <= ?", (name, now))
            (held,) = db.execute("SELECT count(*) FROM leases WHERE name = ?", (name,)).fetchone()
            if held >= limit:
                db.execute("ROLLBACK")
                return False
            db.execute("INSERT INTO leases VALUES (?, ?, ?)", (name, token, now + ttl))
            db.execute("COMMIT")
            return True
        finally:
            db.close()

    def renew(self, name: str, token: str, ttl: float) -> bool:
        now = time.time()
        db = self._connect()
        try:
            changed = db.execute(
                "UPDATE leases SET expires = ? WHERE name = ? AND token = ? AND expires > ?",
                (now + ttl, name, token, now),
            ).rowcount
            return bool(changed)
        finally:
            db.close()

    def release(self, name: str, token: str) -> None:
        db = self._connect()
        try:
            db.execute("DELETE FROM leases WHERE name = ? AND token = ?", (name, token))
        finally:
            db.close()

    def holders(self, name: str) -> int:
        db = self._connect()
        try:
            query = "SELECT count(*) FROM leases WHERE name = ? AND expires > ?"
            (count,) = db.execute(query, (name, time.time())).fetchone()
            return int(count)
        finally:
            db.close()

    def remaining(self, name: str) -> float:
        db = self._connect()
        try:
            query = "SELECT max(expires) FROM leases WHERE name = ?"
            (latest,) = db.execute(query, (name,)).fetchone()
            return max(0.0, float(latest) - time.time()) if latest is not None else 0.0
        finally:
            db.close()
