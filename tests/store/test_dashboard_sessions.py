"""Dashboard sessions on both engines: only the id's hash is stored, and sign-out,
rotation, deactivation, expiry and the key's deletion end them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from cloudtap.store.accounts import create_organisation, issue_key, rotate_key, set_key_state
from cloudtap.store.dashboard_sessions import (
    end_session,
    find_session,
    open_session,
)
from cloudtap.store.db import transaction
from cloudtap.store.migrate import upgrade
from cloudtap.store.models import DashboardSession, Key

HOUR = timedelta(hours=1)


def test_sessions_end_by_sign_out_rotation_deactivation_and_deletion(database_url: str) -> None:
    upgrade(database_url)
    with transaction(database_url) as db:
        org = create_organisation(db, "Acme")
        key = issue_key(db, org.id, "sandbox").key
        other = issue_key(db, org.id, "sandbox").key
        ids = [open_session(db, key, HOUR).session_id for _ in range(4)]
        kept = open_session(db, other, HOUR).session_id
        stored = set(db.scalars(select(DashboardSession.id_hash)))
    assert not stored & set(ids)  # hashes only
    with transaction(database_url) as db:
        assert all(find_session(db, i) is not None for i in ids)
        end_session(db, ids[0])
    with transaction(database_url) as db:
        assert find_session(db, ids[0]) is None and find_session(db, ids[1]) is not None
        rotate_key(db, db.scalars(select(Key).where(Key.id == key.id)).one())
    with transaction(database_url) as db:
        assert all(find_session(db, i) is None for i in ids)
        fresh = open_session(db, db.scalars(select(Key).where(Key.id == key.id)).one(), HOUR)
    with transaction(database_url) as db:
        row = db.scalars(select(Key).where(Key.id == key.id)).one()
        set_key_state(db, row, "deactivated")
        set_key_state(db, row, "active")
    with transaction(database_url) as db:
        assert find_session(db, fresh.session_id) is None  # reactivation revives nothing
        assert find_session(db, kept) is not None  # another key's session is untouched
        db.execute(delete(Key).where(Key.id == other.id))
    with transaction(database_url) as db:
        assert find_session(db, kept) is None


def test_an_expired_session_is_none_and_is_pruned(database_url: str) -> None:
    upgrade(database_url)
    with transaction(database_url) as db:
        org = create_organisation(db, "Acme")
        key = issue_key(db, org.id, "live").key
        old = open_session(db, key, timedelta(seconds=-1)).session_id
    with transaction(database_url) as db:
        assert find_session(db, old) is None
        open_session(db, key, HOUR)
    with transaction(database_url) as db:
        assert len(db.scalars(select(DashboardSession)).all()) == 1
