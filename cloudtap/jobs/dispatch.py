"""Enqueueing jobs (called by the API after its transaction commits).

A tenant's jobs wait for their tenant's turn (:mod:`cloudtap.jobs.fair`), so one
organisation's (or key's) backlog never holds another's jobs behind it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session as DbSession

from cloudtap.config import Settings
from cloudtap.icloud.connector import Credentials
from cloudtap.jobs.fair import enqueue_fairly, enqueue_fairly_in
from cloudtap.jobs.vault import seal_credentials
from cloudtap.store.fair_queue import Tenant


def enqueue_login(settings: Settings, session_id: str, credentials: Credentials) -> None:
    sealed = seal_credentials(settings, session_id, credentials)
    enqueue_fairly(settings, "login", session_id, sealed.key_id, sealed.blob)


def enqueue_logout(settings: Settings, session_id: str, key_id: str, blob: bytes) -> None:
    # The blob is the session's sealed Apple state, already encrypted for the queue.
    enqueue_fairly(settings, "logout", session_id, key_id, blob)


def enqueue_poll(settings: Settings, poll_id: str) -> None:
    enqueue_fairly(settings, "poll", poll_id)


def enqueue_new_poll(
    db: DbSession, settings: Settings, poll_id: str, organisation_id: str, key_id: str | None
) -> None:
    """Queues a poll being created in ``db``'s unit of work (``POST /polls``): one
    transaction for the poll and its job."""
    enqueue_fairly_in(db, settings, Tenant(organisation_id, key_id or ""), "poll", poll_id)


def enqueue_task(settings: Settings, task_id: str) -> None:
    enqueue_fairly(settings, "task", task_id)


def enqueue_file_batch(settings: Settings, poll_id: str, task_ids: list[str]) -> None:
    enqueue_fairly(settings, "file_batch", poll_id, task_ids)


def enqueue_config_test(settings: Settings, task_id: str) -> None:
    enqueue_fairly(settings, "config_test", task_id)
