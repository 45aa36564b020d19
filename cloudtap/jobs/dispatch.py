"""Enqueueing jobs (called by the API after its transaction commits)."""

from __future__ import annotations

from cloudtap.config import Settings
from cloudtap.icloud.connector import Credentials
from cloudtap.jobs.queue import task
from cloudtap.jobs.vault import seal_credentials


def enqueue_login(settings: Settings, session_id: str, credentials: Credentials) -> None:
    sealed = seal_credentials(settings, session_id, credentials)
    task(settings, "login")(session_id, sealed.key_id, sealed.blob)


def enqueue_logout(settings: Settings, session_id: str, key_id: str, blob: bytes) -> None:
    # The blob is the session's sealed Apple state, already encrypted for the queue.
    task(settings, "logout")(session_id, key_id, blob)


def enqueue_poll(settings: Settings, poll_id: str) -> None:
    task(settings, "poll")(poll_id)


def enqueue_task(settings: Settings, task_id: str) -> None:
    task(settings, "task")(task_id)


def enqueue_file_batch(settings: Settings, poll_id: str, task_ids: list[str]) -> None:
    task(settings, "file_batch")(poll_id, task_ids)


def enqueue_config_test(settings: Settings, task_id: str) -> None:
    task(settings, "config_test")(task_id)
