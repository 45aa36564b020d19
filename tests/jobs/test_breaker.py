"""The per-account throttling breaker: once Apple throttles one task of an account, the
account's other tasks wait too, without asking Apple, and other accounts don't."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cloudtap.config import Settings
from cloudtap.icloud.errors import RateLimited
from cloudtap.jobs.breaker import AccountBreaker
from cloudtap.jobs.connectors import set_connector_factory
from cloudtap.jobs.locks import lock_provider_for
from cloudtap.jobs.task_job import run_task
from cloudtap.store.db import transaction
from cloudtap.store.models import Poll, Task
from tests.jobs.fake_connector import FILE_ID, FakeConnector, FakeFile
from tests.jobs.job_database import file_task, job_settings, processing_poll
from tests.jobs.test_locks import StoreSpec, open_store, store_spec  # noqa: F401

APPLE_ID = "a@example.com"  # processing_poll's account
CONTROL = "control@example.com"


def wait_until_closed(breaker: AccountBreaker, apple_id: str, within: float = 10.0) -> float:
    """When the breaker was first seen closed for ``apple_id`` (bounded wait, no guess)."""
    deadline = time.monotonic() + within
    while breaker.is_open(apple_id):
        assert time.monotonic() < deadline, f"the breaker of {apple_id} never closed"
        threading.Event().wait(0.01)
    return time.monotonic()


def test_a_trip_holds_for_its_length_and_for_that_account_only(spec_store: Any) -> None:
    breaker = AccountBreaker(spec_store)
    assert not breaker.is_open(APPLE_ID)
    tripped = time.monotonic()
    breaker.trip(APPLE_ID, 0.6)
    assert breaker.is_open(APPLE_ID)
    assert breaker.is_open(APPLE_ID.upper())  # one account, however it is spelled
    assert not breaker.is_open("someone-else@example.com")
    breaker.trip(APPLE_ID, 0.0)  # nothing to wait: no trip
    closed = wait_until_closed(breaker, APPLE_ID)
    assert closed - tripped >= 0.6  # never before its length (a lower bound only)


def test_the_longest_trip_wins(spec_store: Any) -> None:
    breaker = AccountBreaker(spec_store)
    breaker.trip(APPLE_ID, 60.0)  # never waited for: a loaded machine cannot outlast it
    breaker.trip(APPLE_ID, 0.2)
    breaker.trip(CONTROL, 0.2)  # tripped after the short one: it lapses no earlier
    wait_until_closed(breaker, CONTROL)
    assert breaker.is_open(APPLE_ID)


def test_many_workers_asking_at_once_see_a_closed_breaker_closed(spec_store: Any) -> None:
    breaker = AccountBreaker(spec_store)
    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(lambda _: breaker.is_open(APPLE_ID), range(200)))
    assert not any(seen)


@pytest.fixture
def spec_store(store_spec: StoreSpec) -> Any:  # noqa: F811
    return open_store(store_spec)


@dataclass
class ThrottledApple(FakeConnector):
    """Throttles every file download, and counts how often it was asked."""

    asked: list[str] = field(default_factory=list)

    async def open_file(self, session_state: dict[str, Any], file_id: str) -> FakeFile:
        self.asked.append(file_id)
        raise RateLimited("slow down", info={"retry_after_seconds": 30})


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    with job_settings("sqlite", tmp_path) as configured:
        yield configured


def test_a_throttled_task_holds_back_its_accounts_other_tasks(settings: Settings) -> None:
    apple = ThrottledApple()
    set_connector_factory(lambda _environment: apple)
    with transaction(settings.database_url) as db:
        poll = processing_poll(db, settings, {"files": [FILE_ID, FILE_ID]})
        first, second = file_task(poll, FILE_ID), file_task(poll, FILE_ID)
        db.add_all([first, second])
        db.flush()
        ids = (first.id, second.id)

    run_task(ids[0])  # Apple throttles it: back to pending, and the breaker trips
    assert apple.asked == [FILE_ID]
    assert AccountBreaker(lock_provider_for(settings).store).is_open(APPLE_ID)

    run_task(ids[1])  # the same account: waits without asking Apple
    assert apple.asked == [FILE_ID]
    with transaction(settings.database_url) as db:
        states = db.scalars(select(Task.state).where(Task.id.in_(ids))).all()
        errors = db.scalars(select(Poll.errors)).one()
    assert list(states) == ["pending", "pending"]
    assert errors == []  # waiting is not failing
