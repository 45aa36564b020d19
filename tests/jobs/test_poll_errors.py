"""Every failed task of a poll is recorded in ``poll.errors``, however many workers fail
tasks of the same poll at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from cloudtap.config import Settings, set_settings
from cloudtap.jobs.connectors import set_connector_factory
from cloudtap.jobs.polling import TASK_FILE, run_task
from cloudtap.jobs.vault import seal_state, session_context
from cloudtap.store.accounts import create_organisation, get_or_create_source, get_or_create_user
from cloudtap.store.db import dispose_all, transaction
from cloudtap.store.migrate import upgrade
from cloudtap.store.models import Poll, Session, Task
from tests.jobs.fake_connector import FakeConnector
from tests.support.postgres import POSTGRES_ENV, fresh_postgres_database

TASKS = 50
WORKERS = 8


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path / 'cloudtap.db'}"])
    else:
        server = os.environ.get(POSTGRES_ENV)
        if not server:
            if os.environ.get("CI") == "true":
                pytest.fail(f"{POSTGRES_ENV} is not set (run `source scripts/services`)")
            pytest.skip(f"{POSTGRES_ENV} is not set (run `source scripts/services`)")
        urls = fresh_postgres_database(server)
    url = next(urls)
    settings = Settings.from_env(
        {"CLOUDTAP_DATA_DIR": str(tmp_path / "data"), "CLOUDTAP_DATABASE_URL": url}
    )
    upgrade(url)
    set_settings(settings)
    set_connector_factory(lambda _environment: FakeConnector())
    yield settings
    set_connector_factory(None)
    set_settings(None)
    dispose_all()
    for _ in urls:  # drops the PostgreSQL database
        pass


def _poll_with_failing_tasks(settings: Settings) -> tuple[str, list[str]]:
    """A poll of ``TASKS`` file tasks whose files the connector does not know."""
    with transaction(settings.database_url) as db:
        org = create_organisation(db, "Acme")
        user, _ = get_or_create_user(db, org.id, "user-1", None)
        source = get_or_create_source(db, org.id, user.id, "icloud.account", "a@example.com")
        session = Session(
            organisation_id=org.id, user_id=user.id, source_id=source.id, state="active"
        )
        db.add(session)
        db.flush()
        sealed = seal_state(settings, session_context(session.id), {"kind": "session"})
        session.state_sealed, session.state_key_id = sealed.blob, sealed.key_id
        poll = Poll(
            organisation_id=org.id,
            user_id=user.id,
            source_id=source.id,
            session_id=session.id,
            state="processing",
            payload={},
            errors=[],
        )
        db.add(poll)
        db.flush()
        tasks = [
            Task(
                organisation_id=org.id,
                user_id=user.id,
                source_id=source.id,
                session_id=session.id,
                poll_id=poll.id,
                type=TASK_FILE,
                target=f"unknown://file-{n}",
            )
            for n in range(TASKS)
        ]
        db.add_all(tasks)
        db.flush()
        return poll.id, [t.id for t in tasks]


def test_concurrent_task_failures_are_all_recorded(settings: Settings) -> None:
    poll_id, task_ids = _poll_with_failing_tasks(settings)
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(run_task, task_ids))
    with transaction(settings.database_url) as db:
        poll = db.scalars(select(Poll).where(Poll.id == poll_id)).one()
        states = set(db.scalars(select(Task.state).where(Task.poll_id == poll_id)))
        errors = list(poll.errors)
        state = poll.state
    assert states == {"failed"}
    assert sorted(e["task"] for e in errors) == sorted(task_ids)
    assert {e["error"] for e in errors} == {"not-found"}
    assert state == "completed"
