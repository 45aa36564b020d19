"""Webhook deliveries on their own bounded threads, a few per receiver at most.

A receiver that never answers holds a delivery thread for the whole timeout. Deliveries
therefore never run on the job threads (polls and logins would wait behind them), and
each receiver (scheme, host, port) may use at most ``per_receiver`` threads at once: its
other deliveries wait in its own short line, so one black hole cannot take the pool
from everybody else. When that line is full, ``submit`` refuses and the caller retries
later (the delivery job is rescheduled on the durable queue).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

DEFAULT_THREADS = 8
DEFAULT_PER_RECEIVER = 2
DEFAULT_BACKLOG = 200


def receiver_of(url: str) -> str:
    """Deliveries to one host and port share that receiver's budget."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


class DeliveryPool:
    def __init__(
        self,
        threads: int = DEFAULT_THREADS,
        per_receiver: int = DEFAULT_PER_RECEIVER,
        backlog: int = DEFAULT_BACKLOG,
    ) -> None:
        self.threads = max(1, threads)
        self.per_receiver = max(1, min(per_receiver, self.threads))
        self.backlog = max(0, backlog)
        self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="webhook")
        self._lock = threading.Lock()
        self._running: dict[str, int] = {}
        self._waiting: dict[str, deque[Callable[[], None]]] = {}

    def submit(self, receiver: str, work: Callable[[], None]) -> bool:
        """Run ``work`` for ``receiver`` soon; False when its line is full."""
        with self._lock:
            if self._running.get(receiver, 0) < self.per_receiver:
                self._running[receiver] = self._running.get(receiver, 0) + 1
            else:
                line = self._waiting.setdefault(receiver, deque())
                if len(line) >= self.backlog:
                    return False
                line.append(work)
                return True
        self._executor.submit(self._run, receiver, work)
        return True

    def running(self, receiver: str) -> int:
        with self._lock:
            return self._running.get(receiver, 0)

    def _run(self, receiver: str, work: Callable[[], None]) -> None:
        while True:
            try:
                work()
            except Exception:  # a failed delivery must not lose the receiver's slot
                log.exception("webhook delivery to %s failed unexpectedly", receiver)
            with self._lock:
                line = self._waiting.get(receiver)
                if not line:
                    self._waiting.pop(receiver, None)
                    self._running[receiver] -= 1
                    if not self._running[receiver]:
                        del self._running[receiver]
                    return
                work = line.popleft()

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


_pool: DeliveryPool | None = None
_pool_lock = threading.Lock()


def delivery_pool() -> DeliveryPool:
    """This process's pool, sized by ``CLOUDTAP_WEBHOOK_THREADS`` and
    ``CLOUDTAP_WEBHOOK_PER_RECEIVER``."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = DeliveryPool(
                threads=int(os.environ.get("CLOUDTAP_WEBHOOK_THREADS", DEFAULT_THREADS)),
                per_receiver=int(
                    os.environ.get("CLOUDTAP_WEBHOOK_PER_RECEIVER", DEFAULT_PER_RECEIVER)
                ),
            )
        return _pool
