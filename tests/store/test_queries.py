"""Store query functions on both engines: tenancy, get-or-create, cursors, cascades."""

from __future__ import annotations

import threading
import time

import pytest

from cloudtap.crypto.tokens import hash_token
from cloudtap.store.accounts import (
    create_organisation,
    get_or_create_source,
    get_or_create_user,
    issue_key,
    key_for_token,
    token_hint,
)
from cloudtap.store.db import transaction
from cloudtap.store.listing import UnknownCursor, get_scoped, list_scoped
from cloudtap.store.migrate import upgrade
from cloudtap.store.models import Poll, Result, Session, Task, User
from cloudtap.store.removal import delete_user


def test_keys_are_found_by_token_hash_only(database_url: str) -> None:
    upgrade(database_url)
    with transaction(database_url) as db:
        org = create_organisation(db, "Acme")
        issued = issue_key(db, org.id, "live")
        assert issued.token.startswith("ct_live_")
        assert issued.key.token_hash == hash_token(issued.token)
    with transaction(database_url) as db:
        found = key_for_token(db, issued.token)
        assert found is not None and found.id == issued.key.id
        assert key_for_token(db, issued.token + "x") is None


def test_slugs_stay_unique(database_url: str) -> None:
    upgrade(database_url)
    with transaction(database_url) as db:
        first, second = create_organisation(db, "Acme Ltd"), create_organisation(db, "Acme Ltd")
        assert first.slug == "acme-ltd" and second.slug != first.slug


def test_users_are_per_organisation_and_get_or_create(database_url: str) -> None:
    upgrade(database_url)
    with transaction(database_url) as db:
        acme, globex = create_organisation(db, "Acme"), create_organisation(db, "Globex")
        user, created = get_or_create_user(db, acme.id, "alice", None)
        same, created_again = get_or_create_user(db, acme.id, "alice", None)
        theirs, _ = get_or_create_user(db, globex.id, "alice", None)
        assert created and not created_again and same.id == user.id
        assert theirs.id != user.id
        assert get_scoped(db, User, globex.id, user.id) is None


def test_cursor_pagination(database_url: str) -> None:
    upgrade(database_url)
    with transaction(database_url) as db:
        org = create_organisation(db, "Acme")
        ids = [get_or_create_user(db, org.id, f"u{i}", None)[0].id for i in range(7)]
        page = list_scoped(db, User, org.id, limit=3)
        assert [u.id for u in page.items] == ids[::-1][:3] and page.has_more
        assert page.total_count == 7
        rest = list_scoped(db, User, org.id, limit=10, after_id=page.items[-1].id)
        assert [u.id for u in rest.items] == ids[::-1][3:] and not rest.has_more
        with pytest.raises(UnknownCursor):
            list_scoped(db, User, org.id, after_id="nope")


def test_delete_user_cascades(database_url: str) -> None:
    upgrade(database_url)
    with transaction(database_url) as db:
        org = create_organisation(db, "Acme")
        user, _ = get_or_create_user(db, org.id, "alice", None)
        source = get_or_create_source(db, org.id, user.id, "icloud.account", "a@b.c")
        assert get_or_create_source(db, org.id, user.id, "icloud.account", "a@b.c").id == source.id
        session = Session(organisation_id=org.id, user_id=user.id, source_id=source.id)
        db.add(session)
        db.flush()
        poll = Poll(
            organisation_id=org.id,
            user_id=user.id,
            source_id=source.id,
            session_id=session.id,
            payload={},
            errors=[],
        )
        db.add(poll)
        db.flush()
        task = Task(organisation_id=org.id, poll_id=poll.id, type="icloud.info", target="x")
        db.add(task)
        db.flush()
        db.add(
            Result(
                organisation_id=org.id,
                poll_id=poll.id,
                task_id=task.id,
                identifier="x",
                type="json",
                location="/tmp/x.json",
                url="local:///tmp/x.json",
                size=2,
                checksum="0" * 32,
            )
        )
        db.flush()
        removed = delete_user(db, user)
    assert removed.counts == {
        "results": 1,
        "tasks": 1,
        "polls": 1,
        "subscriptions": 0,
        "events": 0,
        "sessions": 1,
        "sources": 1,
        "users": 1,
    }
    assert removed.result_locations == [("local", "/tmp/x.json", None)]
    with transaction(database_url) as db:
        assert list_scoped(db, User, org.id).total_count == 0
        assert list_scoped(db, Result, org.id).total_count == 0


def test_concurrent_first_sessions_of_one_apple_id_share_one_source(database_url: str) -> None:
    upgrade(database_url)
    with transaction(database_url) as db:
        org = create_organisation(db, "Acme")
        user, _ = get_or_create_user(db, org.id, "u", None)
        org_id, user_id = org.id, user.id
    inserted = threading.Event()
    ids: dict[str, str] = {}

    def first_request() -> None:
        with transaction(database_url) as db:
            source = get_or_create_source(db, org_id, user_id, "icloud.account", "a@example.com")
            ids["first"] = source.id
            inserted.set()
            time.sleep(0.3)  # the second request inserts while this one is uncommitted

    thread = threading.Thread(target=first_request)
    thread.start()
    assert inserted.wait(10)
    with transaction(database_url) as db:
        ids["second"] = get_or_create_source(
            db, org_id, user_id, "icloud.account", "a@example.com"
        ).id
    thread.join(10)
    assert ids["first"] == ids["second"]


def test_token_hints_fit_whatever_the_random_part_holds() -> None:
    assert token_hint("ct_live_E-tK1e-qh_Mlxe8BuRfZ9Yj8Rq-CdbO_RvB4") == "ct_live_RvB4"
    assert token_hint("ct_sandbox_abcdefgh") == "ct_sandbox_efgh"
