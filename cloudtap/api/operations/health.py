"""``/healthz`` (the process answers) and ``/readyz`` (what it needs is reachable)."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable

from cloudtap.config import Settings
from cloudtap.jobs.queue import queue_for
from cloudtap.publish.stores import default_store
from cloudtap.store.db import check_database_file, ping

log = logging.getLogger(__name__)


def _database(settings: Settings) -> None:
    check_database_file(settings.database_url)  # still the file it opened (SQLite)
    ping(settings.database_url)


def _queue(settings: Settings) -> None:
    queue_for(settings).pending_count()


def _storage(settings: Settings) -> None:
    store = default_store(settings)
    root = getattr(store, "root", None)
    if root is None:
        return
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=root):  # writable, not only present
        pass


CHECKS: dict[str, Callable[[Settings], None]] = {
    "database": _database,
    "queue": _queue,
    "storage": _storage,
}


def readiness(settings: Settings) -> dict[str, str]:
    """Each check's ``ok`` or why it failed (the exception's type: no URL, no secret)."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check(settings)
            results[name] = "ok"
        except Exception as exc:
            log.warning("readiness check %s failed: %s", name, type(exc).__name__)
            results[name] = f"unreachable: {type(exc).__name__}"
    return results
