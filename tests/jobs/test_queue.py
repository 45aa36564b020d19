"""The login job through a real huey queue, on SQLite and on Redis.

The queue never holds the password or code in clear: only an AES-GCM blob.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from cloudtap.config import Settings, get_settings, set_settings
from cloudtap.icloud.connector import Credentials
from cloudtap.jobs.connectors import set_connector_factory
from cloudtap.jobs.consumer import start_embedded_consumer, stop_consumer
from cloudtap.jobs.dispatch import enqueue_login
from cloudtap.jobs.queue import forget_queues, queue_for
from cloudtap.store.accounts import create_organisation, get_or_create_source, get_or_create_user
from cloudtap.store.db import dispose_all, transaction
from cloudtap.store.migrate import upgrade
from cloudtap.store.models import Session, Source
from tests.jobs.fake_connector import CODE, PASSWORD, FakeConnector

REDIS_ENV = "CLOUDTAP_TEST_REDIS_URL"


@pytest.fixture(params=["sqlite", "redis"])
def queue_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    base = get_settings()
    if request.param == "redis":
        server = os.environ.get(REDIS_ENV)
        if not server:
            pytest.skip(f"{REDIS_ENV} is not set (run `source scripts/services`)")
        settings = replace(base, queue_url=f"{server}?queue=cloudtap-test-{uuid.uuid4().hex[:8]}")
    else:
        settings = base
    set_settings(settings)
    upgrade(settings.database_url)
    connector = FakeConnector()
    set_connector_factory(lambda _env: connector)
    yield settings
    set_connector_factory(None)
    queue = queue_for(settings)
    queue.flush()
    forget_queues()
    dispose_all()


def new_session(settings: Settings, apple_id: str) -> str:
    with transaction(settings.database_url) as db:
        org = create_organisation(db, "Acme")
        user, _ = get_or_create_user(db, org.id, "u", None)
        source = get_or_create_source(db, org.id, user.id, "icloud.account", apple_id)
        session = Session(organisation_id=org.id, user_id=user.id, source_id=source.id)
        db.add(session)
        db.flush()
        return session.id


def wait_state(settings: Settings, session_id: str) -> Session:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with transaction(settings.database_url) as db:
            row = db.scalars(select(Session).where(Session.id == session_id)).one()
            if row.state != "pending":
                return row
        time.sleep(0.05)
    raise AssertionError("the login job did not run")


def test_login_job_runs_and_queue_holds_no_secret(queue_settings: Settings) -> None:
    session_id = new_session(queue_settings, "twofa@example.com")
    enqueue_login(queue_settings, session_id, Credentials("twofa@example.com", PASSWORD, CODE))
    raw = b"".join(queue_for(queue_settings).storage.enqueued_items())
    assert raw, "the job should be waiting in the queue"
    assert PASSWORD.encode() not in raw and CODE.encode() not in raw

    consumer = start_embedded_consumer(queue_settings, workers=1)
    try:
        row = wait_state(queue_settings, session_id)
    finally:
        stop_consumer(consumer)
    # No login was in progress, so the code cannot complete it: Apple sends a new one.
    assert (row.state, row.error) == ("failed", "code-required")
    with transaction(queue_settings.database_url) as db:
        source = db.scalars(select(Source).where(Source.id == row.source_id)).one()
        assert source.login_sealed is not None and source.login_key_id
        assert PASSWORD.encode() not in source.login_sealed


def test_stale_credentials_fail_the_login(
    queue_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloudtap.jobs import vault

    monkeypatch.setattr(vault, "CREDENTIALS_TTL_SECONDS", -1)
    session_id = new_session(queue_settings, "plain@example.com")
    enqueue_login(queue_settings, session_id, Credentials("plain@example.com", PASSWORD))
    consumer = start_embedded_consumer(queue_settings, workers=1)
    try:
        row = wait_state(queue_settings, session_id)
    finally:
        stop_consumer(consumer)
    assert (row.state, row.error) == ("failed", "login-expired")
