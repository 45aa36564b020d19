"""The huey job queue: SQLite in the data dir by default, Redis for scale-out.

Task functions take only ids and sealed blobs, never secrets in clear nor settings
(which would carry the master key into the queue).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cloudtap.jobs.huey_import import bind_redis  # isort: skip  # before huey
from huey import Huey, RedisHuey, SqliteHuey

from cloudtap.config import Settings

QUEUE_NAME = "cloudtap"

_lock = threading.Lock()
_queues: dict[str, Huey] = {}
_tasks: dict[str, dict[str, Any]] = {}
# job name -> its function, as cloudtap.jobs.registry defines them
_definitions: dict[str, Callable[..., None]] = {}


def split_queue_name(url: str) -> tuple[str, str]:
    """``redis://h:p/0?queue=name`` → (url without ``queue``, name); lets several
    cloudtap installs (or test runs) share one Redis without sharing jobs."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    names = [value for key, value in query if key == "queue"]
    rest = urlencode([(key, value) for key, value in query if key != "queue"])
    return urlunsplit(parts._replace(query=rest)), (names[-1] if names else QUEUE_NAME)


def is_redis(queue_url: str) -> bool:
    return queue_url.startswith(("redis://", "rediss://", "unix://"))


def sqlite_queue_path(queue_url: str) -> Path:
    return Path(queue_url.removeprefix("sqlite:///"))


class Wakeup:
    """Tells this process's idle workers that a job was just enqueued.

    An idle huey worker polls the queue with a growing delay (up to half a second in
    ``serve``), so a job enqueued by the API would wait for the next poll. Workers of
    this process read ``generation`` before they look at the queue and, finding it
    empty, sleep until it moves (or their delay ends): a job enqueued here is picked up
    at once. Jobs enqueued by other processes are still found by the polling.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._generation = 0

    @property
    def generation(self) -> int:
        return self._generation

    def notify(self) -> None:
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> bool:
        """Whether ``generation`` moved past ``seen`` within ``timeout`` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: self._generation != seen, timeout)


class _Waking(Huey):
    """Notifies ``wakeup`` once a job is in the queue's storage (not before: huey's
    enqueued signal fires ahead of the write, when a woken worker could miss it)."""

    wakeup: Wakeup

    def enqueue(self, task: Any) -> Any:
        queued = super().enqueue(task)
        self.wakeup.notify()
        return queued


class _WakingSqliteHuey(_Waking, SqliteHuey):
    pass


class _WakingRedisHuey(_Waking, RedisHuey):
    pass


def wakeup_of(huey: Huey) -> Wakeup | None:
    found = getattr(huey, "wakeup", None)
    return found if isinstance(found, Wakeup) else None


def _build(queue_url: str) -> Huey:
    if is_redis(queue_url):
        url, name = split_queue_name(queue_url)
        bind_redis()
        huey: _Waking = _WakingRedisHuey(name, url=url, results=False, utc=True)
    elif queue_url.startswith("sqlite:///"):
        path = sqlite_queue_path(queue_url)
        path.parent.mkdir(parents=True, exist_ok=True)
        huey = _WakingSqliteHuey(QUEUE_NAME, filename=str(path), results=False, utc=True)
    else:
        raise ValueError("CLOUDTAP_QUEUE_URL must be sqlite:///path or redis://host:port/db")
    huey.wakeup = Wakeup()
    return huey


def define(name: str, function: Callable[..., None]) -> None:
    """Make ``function`` the job ``name`` (huey task ``cloudtap.<name>``) on every queue,
    built or to come. ``cloudtap.jobs.registry`` defines them all."""
    with _lock:
        _definitions[name] = function
        for url, huey in _queues.items():
            _tasks[url][name] = huey.task(name=f"cloudtap.{name}")(function)


def queue_for(settings: Settings) -> Huey:
    with _lock:
        if settings.queue_url not in _queues:
            huey = _build(settings.queue_url)
            _tasks[settings.queue_url] = {
                name: huey.task(name=f"cloudtap.{name}")(function)
                for name, function in _definitions.items()
            }
            _queues[settings.queue_url] = huey
        return _queues[settings.queue_url]


def task(settings: Settings, name: str) -> Any:
    """The huey task of job ``name`` on this settings' queue."""
    queue_for(settings)
    try:
        return _tasks[settings.queue_url][name]
    except KeyError:
        raise LookupError(
            f"no job {name!r}: the entry point must import cloudtap.jobs.registry"
        ) from None


def forget_queues() -> None:
    """Drop cached queues (tests switch data dirs between cases)."""
    with _lock:
        _queues.clear()
        _tasks.clear()
