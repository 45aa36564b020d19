"""Keeping a running poll's or task's lease alive from a thread beside the job."""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from cloudtap.config import Settings
from cloudtap.store import job_leases
from cloudtap.store.db import transaction

log = logging.getLogger(__name__)


def new_owner() -> str:
    """A lease token: which run of a job holds it (never reused)."""
    return secrets.token_hex(16)


class Heartbeat:
    def __init__(self, settings: Settings, model: job_leases.Leased, row_id: str, owner: str):
        self._settings = settings
        self._model = model
        self._row_id = row_id
        self._owner = owner
        self._stop = threading.Event()
        self.lost = False
        self._thread = threading.Thread(target=self._run, name="cloudtap-lease", daemon=True)

    def _run(self) -> None:
        ttl = self._settings.task_lease_seconds
        while not self._stop.wait(ttl / 3):
            try:
                with transaction(self._settings.database_url) as db:
                    held = job_leases.renew(db, self._model, self._row_id, self._owner, ttl)
            except Exception as exc:  # a database blip: the next beat tries again
                log.warning("lease renewal of %s failed: %s", self._row_id, type(exc).__name__)
                continue
            if not held:
                # Taken back (this worker stalled past the expiry): its result is dropped.
                log.warning("lease of %s lapsed while it ran", self._row_id)
                self.lost = True
                return

    @contextmanager
    def running(self) -> Iterator[Heartbeat]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(timeout=10)
