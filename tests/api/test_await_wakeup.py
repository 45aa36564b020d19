"""``Ricloud-Await`` notices a settle committed by this process (a job thread of
``serve``) at once, not at the watcher's next tick."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import update

from cloudtap.api import waits
from cloudtap.config import Settings, get_settings
from cloudtap.store import changes
from cloudtap.store.accounts import create_organisation, get_or_create_source, get_or_create_user
from cloudtap.store.db import dispose_all, transaction
from cloudtap.store.migrate import upgrade
from cloudtap.store.models import Session

HOUR = 3600.0


@pytest.fixture
def settings() -> Iterator[Settings]:
    found = get_settings()
    upgrade(found.database_url)
    yield found
    dispose_all()


def _pending_session(settings: Settings) -> str:
    with transaction(settings.database_url) as db:
        org = create_organisation(db, "Acme")
        user, _ = get_or_create_user(db, org.id, "u", None)
        source = get_or_create_source(db, org.id, user.id, "icloud.account", "a@example.com")
        session = Session(organisation_id=org.id, user_id=user.id, source_id=source.id)
        db.add(session)
        db.flush()
        return session.id


def _settle(settings: Settings, session_id: str) -> None:
    with transaction(settings.database_url) as db:
        db.execute(update(Session).where(Session.id == session_id).values(state="active"))


async def test_a_commit_of_this_process_ends_the_wait_before_the_tick(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An hour's tick: only the commit's wake-up can end this wait within the test.
    monkeypatch.setattr(waits, "TICK_SECONDS", HOUR)
    session_id = _pending_session(settings)
    waiting = asyncio.ensure_future(
        waits.wait_until_settled(settings.database_url, Session, session_id, ("pending",), HOUR)
    )
    watcher = waits.watcher_for(settings.database_url)
    while watcher._poke is None:  # listening to commits from here on
        await asyncio.sleep(0)
    await asyncio.to_thread(_settle, settings, session_id)
    await asyncio.wait_for(waiting, 30)


async def test_a_commit_that_settles_something_else_leaves_the_wait(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(waits, "TICK_SECONDS", HOUR)
    awaited, other = _pending_session(settings), _pending_session(settings)
    waiting = asyncio.ensure_future(
        waits.wait_until_settled(settings.database_url, Session, awaited, ("pending",), HOUR)
    )
    watcher = waits.watcher_for(settings.database_url)
    while watcher._poke is None:
        await asyncio.sleep(0)
    await asyncio.to_thread(_settle, settings, other)
    done, _ = await asyncio.wait({waiting}, timeout=0.5)
    assert not done  # woken, read, still pending: it keeps waiting
    await asyncio.to_thread(_settle, settings, awaited)
    await asyncio.wait_for(waiting, 30)


def test_listeners_hear_commits_that_wrote_watched_rows_only(settings: Settings) -> None:
    heard: list[int] = []
    remove = changes.on_committed(lambda: heard.append(changes.generation()))
    try:
        session_id = _pending_session(settings)
        assert len(heard) == 1
        with transaction(settings.database_url) as db:  # writes nothing
            db.get(Session, session_id)
        assert len(heard) == 1
        _settle(settings, session_id)
        assert len(heard) == 2
    finally:
        remove()
    _settle(settings, session_id)
    assert len(heard) == 2  # removed: no longer called
