"""A job-layer test's settings on SQLite or PostgreSQL, and a processing poll to run."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session as DBSession

from cloudtap.config import Settings, set_settings
from cloudtap.jobs.connectors import set_connector_factory
from cloudtap.jobs.polls import TASK_FILE
from cloudtap.jobs.queue import forget_queues
from cloudtap.jobs.vault import seal_state, session_context
from cloudtap.store.accounts import create_organisation, get_or_create_source, get_or_create_user
from cloudtap.store.db import dispose_all
from cloudtap.store.migrate import upgrade
from cloudtap.store.models import Poll, Session, Task
from tests.jobs.fake_connector import FakeConnector
from tests.support.postgres import database_url_for


@contextmanager
def job_settings(
    engine: str, tmp_path: Path, env: Mapping[str, str] | None = None, *, fail_in_ci: bool = False
) -> Iterator[Settings]:
    """Settings on a migrated database of ``engine``, set as the process's, with jobs
    connecting through :class:`FakeConnector`; all undone afterwards."""
    with database_url_for(engine, tmp_path, "cloudtap.db", fail_in_ci=fail_in_ci) as url:
        settings = Settings.from_env(
            {
                "CLOUDTAP_DATA_DIR": str(tmp_path / "data"),
                "CLOUDTAP_DATABASE_URL": url,
                **(env or {}),
            }
        )
        upgrade(url)
        set_settings(settings)
        set_connector_factory(lambda _environment: FakeConnector())
        yield settings
        set_connector_factory(None)
        set_settings(None)
        forget_queues()
        dispose_all()


def processing_poll(db: DBSession, settings: Settings, payload: dict[str, Any]) -> Poll:
    """A processing poll with ``payload`` on an active session with sealed state."""
    org = create_organisation(db, "Acme")
    user, _ = get_or_create_user(db, org.id, "user-1", None)
    source = get_or_create_source(db, org.id, user.id, "icloud.account", "a@example.com")
    session = Session(organisation_id=org.id, user_id=user.id, source_id=source.id, state="active")
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
        payload=payload,
        errors=[],
    )
    db.add(poll)
    db.flush()
    return poll


def file_task(poll: Poll, target: str) -> Task:
    """A file task of ``poll`` (not yet added)."""
    return Task(
        organisation_id=poll.organisation_id,
        user_id=poll.user_id,
        source_id=poll.source_id,
        session_id=poll.session_id,
        poll_id=poll.id,
        type=TASK_FILE,
        target=target,
    )
