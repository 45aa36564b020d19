"""Retention: results past their ``date_expires`` lose their files and become ``expired``.

A sweeper thread runs beside the job consumer (``cloudtap serve`` and ``cloudtap
worker``). Sweeps are idempotent, so several workers sweeping at once is harmless: a
row is expired by exactly one UPDATE, and only that sweep deletes its file.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, update

from cloudtap.config import Settings
from cloudtap.publish.cleanup import StoredRef, delete_stored_results
from cloudtap.store.db import transaction
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Result
from cloudtap.sweeper import Sweeper

log = logging.getLogger(__name__)

_LIVE_STATES = ("available", "consumed")
_BATCH = 500


def expire_due_results(settings: Settings, now: datetime | None = None) -> int:
    """Expire every result due by ``now``; returns how many were expired."""
    moment = now or utcnow()
    expired = 0
    while True:
        refs: list[StoredRef] = []
        with transaction(settings.database_url) as db:
            due = db.execute(
                select(Result.id, Result.storage, Result.location, Result.storage_config_id)
                .where(Result.state.in_(_LIVE_STATES), Result.date_expires <= moment)
                .limit(_BATCH)
            ).all()
            for result_id, storage, location, config_id in due:
                claimed = db.execute(
                    update(Result)
                    .where(Result.id == result_id, Result.state.in_(_LIVE_STATES))
                    .values(state="expired")
                )
                if getattr(claimed, "rowcount", 0):
                    refs.append((storage, location, config_id))
        # Files go once the rows say ``expired``: a download never finds a row without file.
        delete_stored_results(settings, refs)
        expired += len(refs)
        if len(due) < _BATCH:
            return expired


class RetentionSweeper(Sweeper):
    """Background thread calling :func:`expire_due_results` every few seconds."""

    thread_name = "cloudtap-retention"
    what = "retention"
    logger = log

    def interval(self) -> float:
        return self._settings.retention_sweep_seconds

    def sweep(self) -> None:
        count = expire_due_results(self._settings)
        if count:
            log.info("expired %d results", count)
