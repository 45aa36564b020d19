"""Listeners hear of a commit's events together, once, and never of rolled-back ones:
a poll's many results cost one queued delivery job, not one per event."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudtap.config import Settings
from cloudtap.publish.events import add_batch_listener, emit, remove_batch_listener
from cloudtap.store.accounts import create_organisation
from cloudtap.store.db import transaction
from tests.jobs.job_database import job_settings


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    with job_settings("sqlite", tmp_path) as settings:
        yield settings


def test_a_commit_s_events_are_heard_of_together_and_once(settings: Settings) -> None:
    heard: list[list[str]] = []
    add_batch_listener(heard.append)
    try:
        with transaction(settings.database_url) as db:
            org = create_organisation(db, "Acme")
            first = [emit(db, org.id, None, "task", "created", {"n": n}).id for n in range(3)]
        with transaction(settings.database_url) as db:
            second = [emit(db, org.id, None, "task", "succeeded", {}).id]
        with pytest.raises(RuntimeError), transaction(settings.database_url) as db:
            emit(db, org.id, None, "task", "failed", {})
            raise RuntimeError("rolled back")
    finally:
        remove_batch_listener(heard.append)
    assert heard == [first, second]
