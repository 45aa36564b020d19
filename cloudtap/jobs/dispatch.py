"""Enqueueing jobs (called by the API after its transaction commits).

A tenant's jobs wait for their tenant's turn (:mod:`cloudtap.jobs.fair`), so one
organisation's (or key's) backlog never holds another's jobs behind it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session as DbSession

from cloudtap.config import Settings
from cloudtap.icloud.connector import Credentials
from cloudtap.jobs.fair import enqueue_fairly, enqueue_fairly_in
from cloudtap.jobs.lanes import FILES_POLL
from cloudtap.jobs.vault import seal_credentials
from cloudtap.store.fair_queue import Tenant


def enqueue_login(settings: Settings, session_id: str, credentials: Credentials) -> None:
    sealed = seal_credentials(settings, session_id, credentials)
    enqueue_fairly(settings, "login", session_id, sealed.key_id, sealed.blob)


def enqueue_logout(settings: Settings, session_id: str, key_id: str, blob: bytes) -> None:
    # The blob is the session's sealed Apple state, already encrypted for the queue.
    enqueue_fairly(settings, "logout", session_id, key_id, blob)


def enqueue_poll(settings: Settings, poll_id: str, files: int = 0) -> None:
    """A poll's planning; that of a poll of many files (a task row and an event each,
    seconds for thousands) runs where files batches run, off the short lane."""
    enqueue_fairly(settings, FILES_POLL if files > 1 else "poll", poll_id)


def enqueue_new_poll(
    db: DbSession,
    settings: Settings,
    poll_id: str,
    organisation_id: str,
    key_id: str | None,
    files: int = 0,
) -> None:
    """Queues a poll being created in ``db``'s unit of work (``POST /polls``): one
    transaction for the poll and its job (planned off the short lane if it has many
    files, as :func:`enqueue_poll`)."""
    name = FILES_POLL if files > 1 else "poll"
    enqueue_fairly_in(db, settings, Tenant(organisation_id, key_id or ""), name, poll_id)


def enqueue_task(settings: Settings, task_id: str) -> None:
    enqueue_fairly(settings, "task", task_id)


def enqueue_file_batch(settings: Settings, poll_id: str, task_ids: list[str]) -> None:
    enqueue_fairly(settings, "file_batch", poll_id, task_ids)


def enqueue_config_test(settings: Settings, task_id: str) -> None:
    enqueue_fairly(settings, "config_test", task_id)
