"""A login whose worker died: its session must not stay ``pending`` for ever.

The password travels only in the login job's sealed message, which expires
``CREDENTIALS_TTL_SECONDS`` after the request; once it can no longer run, the sweeper
fails the session with ``login-expired`` (the job's own answer for an expired message) and
announces it, so the client knows to log in again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cloudtap.config import Settings
from cloudtap.icloud.connector import Credentials, LoginOutcome
from cloudtap.jobs import login
from cloudtap.jobs.connectors import set_connector_factory
from cloudtap.jobs.login import LOGIN_RUN_SECONDS
from cloudtap.jobs.reclaim import sweep_leases
from cloudtap.jobs.vault import CREDENTIALS_TTL_SECONDS
from cloudtap.store.accounts import create_organisation, get_or_create_source, get_or_create_user
from cloudtap.store.db import transaction
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Event, Session
from tests.jobs.fake_connector import FakeConnector
from tests.jobs.job_database import job_settings


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with job_settings(request.param, tmp_path) as settings:
        yield settings


def _pending_session(settings: Settings, age: timedelta) -> str:
    with transaction(settings.database_url) as db:
        org = create_organisation(db, "Acme")
        user, _ = get_or_create_user(db, org.id, "user-1", None)
        source = get_or_create_source(db, org.id, user.id, "icloud.account", "a@example.com")
        session = Session(
            organisation_id=org.id,
            user_id=user.id,
            source_id=source.id,
            state="pending",
            date_created=utcnow() - age,
        )
        db.add(session)
        db.flush()
        return session.id


def _session_and_events(settings: Settings, session_id: str) -> tuple[Session, list[Event]]:
    with transaction(settings.database_url) as db:
        session = db.scalars(select(Session).where(Session.id == session_id)).one()
        events = list(db.scalars(select(Event).where(Event.type == "session")))
        return session, events


def test_a_login_that_can_no_longer_run_fails(settings: Settings) -> None:
    too_old = timedelta(seconds=CREDENTIALS_TTL_SECONDS + LOGIN_RUN_SECONDS + 5)
    session_id = _pending_session(settings, too_old)
    sweep_leases(settings)
    sweep_leases(settings)  # a second sweeper finds nothing left to do
    session, events = _session_and_events(settings, session_id)
    assert (session.state, session.error) == ("failed", "login-expired")
    assert [(e.action, e.data["id"], e.data["state"]) for e in events] == [
        ("failed", session_id, "failed")
    ]


def test_a_login_that_may_still_be_running_is_left_alone(settings: Settings) -> None:
    # Its message may still be queued behind other work, or its worker mid-login.
    session_id = _pending_session(settings, timedelta(seconds=CREDENTIALS_TTL_SECONDS))
    sweep_leases(settings)
    session, events = _session_and_events(settings, session_id)
    assert (session.state, events) == ("pending", [])


class _HangingConnector(FakeConnector):
    """A connector whose login never returns."""

    async def login(
        self, credentials: Credentials, saved_state: dict[str, Any] | None
    ) -> LoginOutcome:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")


def test_a_login_attempt_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    # The bound is what makes "pending past the credentials' expiry" mean "lost".
    monkeypatch.setattr(login, "LOGIN_RUN_SECONDS", 0.05)
    set_connector_factory(lambda _environment: _HangingConnector())
    try:
        outcome = login._outcome_of("sandbox", "icloud.account", Credentials("a@b.c", "pw"), None)
    finally:
        set_connector_factory(None)
    assert (outcome.state, outcome.error) == ("failed", "apple-unavailable")
