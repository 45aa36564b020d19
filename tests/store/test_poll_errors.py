"""``append_poll_error`` from many threads at once loses nothing, on both engines."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select, update

from cloudtap.store.accounts import create_organisation, get_or_create_source, get_or_create_user
from cloudtap.store.db import transaction
from cloudtap.store.migrate import upgrade
from cloudtap.store.models import Poll, Session
from cloudtap.store.poll_errors import append_poll_error


def _poll(database_url: str) -> str:
    with transaction(database_url) as db:
        org = create_organisation(db, "Acme")
        user, _ = get_or_create_user(db, org.id, "u", None)
        source = get_or_create_source(db, org.id, user.id, "icloud.account", "a@example.com")
        session = Session(organisation_id=org.id, user_id=user.id, source_id=source.id)
        db.add(session)
        db.flush()
        poll = Poll(
            organisation_id=org.id,
            user_id=user.id,
            source_id=source.id,
            session_id=session.id,
            errors=[],
        )
        db.add(poll)
        db.flush()
        return poll.id


def test_concurrent_appends_all_land(database_url: str) -> None:
    upgrade(database_url)
    poll_id = _poll(database_url)

    def append(n: int) -> bool:
        with transaction(database_url) as db:
            return append_poll_error(db, poll_id, {"task": f"t{n}", "error": "not-found"})

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(append, range(60)))
    with transaction(database_url) as db:
        errors = db.scalars(select(Poll.errors).where(Poll.id == poll_id)).one()
    assert sorted(e["task"] for e in errors) == sorted(f"t{n}" for n in range(60))


def test_a_missing_poll_is_reported(database_url: str) -> None:
    upgrade(database_url)
    with transaction(database_url) as db:
        assert append_poll_error(db, "no-such-poll", {"error": "x"}) is False


def test_a_null_errors_column_is_appended_to(database_url: str) -> None:
    upgrade(database_url)
    poll_id = _poll(database_url)
    with transaction(database_url) as db:
        db.execute(update(Poll).where(Poll.id == poll_id).values(errors=None))
    with transaction(database_url) as db:
        assert append_poll_error(db, poll_id, {"error": "x"})
    with transaction(database_url) as db:
        assert db.scalars(select(Poll.errors).where(Poll.id == poll_id)).one() == [{"error": "x"}]
