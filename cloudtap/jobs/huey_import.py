"""huey without the Redis and PostgreSQL clients, unless they are used.

``huey.storage`` imports ``redis`` and ``psycopg`` whenever they are installed (~20 MiB of
a ``serve`` process's memory); the embedded default queue is SQLite and needs neither.
Import huey through this module: it hides them while huey loads, and ``bind_redis``
gives huey its Redis names once a Redis queue is really built.
"""

from __future__ import annotations

import sys

from cloudtap.extras import require


def _load_huey() -> None:
    if "huey.storage" in sys.modules:
        return
    hidden = [name for name in ("redis", "psycopg") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # `import name` now fails
    try:
        import huey.storage  # noqa: F401
    finally:
        for name in hidden:
            if sys.modules.get(name) is None:
                del sys.modules[name]


def bind_redis() -> None:
    """Gives ``huey.storage`` the Redis names it skipped, if it skipped them."""
    import huey.storage as storage

    if storage.Redis is not None:
        return
    redis = require("redis")
    storage.ConnectionPool = redis.ConnectionPool
    storage.Redis = redis.Redis
    storage.ConnectionError = redis.exceptions.ConnectionError
    storage.TimeoutError = redis.exceptions.TimeoutError
    storage.RedisStorage.redis_client = redis.Redis


_load_huey()
