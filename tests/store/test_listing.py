"""``get_in_environment`` and ``list_in_environment``: statements prepared once (per
model, per list shape), their values bound per call; a lookup or a list for one
organisation or environment never answers with another's rows."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session as DbSession

from cloudtap.store.accounts import create_organisation, get_or_create_user, issue_key
from cloudtap.store.db import transaction
from cloudtap.store.environments import environment_scope
from cloudtap.store.listing import (
    MAX_LIST_SHAPES,
    UnknownCursor,
    get_in_environment,
    kept_list_shapes,
    list_in_environment,
    list_scoped,
    list_statements,
)
from cloudtap.store.migrate import upgrade
from cloudtap.store.models import Key, Organisation, User


def _two_organisations(db: DbSession) -> tuple[Organisation, Organisation, Key, Key, Key]:
    """Acme with a sandbox and a live key, Globex with a sandbox key."""
    acme, globex = create_organisation(db, "Acme"), create_organisation(db, "Globex")
    sandbox = issue_key(db, acme.id, "sandbox").key
    live = issue_key(db, acme.id, "live").key
    other = issue_key(db, globex.id, "sandbox").key
    return acme, globex, sandbox, live, other


def test_lookups_in_turn_see_only_their_own_organisation_and_environment(
    database_url: str,
) -> None:
    upgrade(database_url)
    with transaction(database_url) as db:
        acme, globex, sandbox, live, other = _two_organisations(db)
        user, _ = get_or_create_user(db, acme.id, "u1", sandbox.id)
        ids = (acme.id, globex.id, sandbox.id, live.id, other.id, user.id)
    acme_id, globex_id, sandbox_id, live_id, other_id, user_id = ids
    with transaction(database_url) as db:
        # The same statements, asked alternately for each caller: no value sticks.
        for _ in range(2):
            assert get_in_environment(db, User, acme_id, "sandbox", user_id) is not None
            assert get_in_environment(db, User, acme_id, "live", user_id) is None
            assert get_in_environment(db, User, globex_id, "sandbox", user_id) is None
            assert get_in_environment(db, Key, acme_id, "sandbox", sandbox_id) is not None
            assert get_in_environment(db, Key, acme_id, "sandbox", live_id) is None
            assert get_in_environment(db, Key, acme_id, "live", live_id) is not None
            assert get_in_environment(db, Key, acme_id, "sandbox", other_id) is None
            assert get_in_environment(db, Key, globex_id, "sandbox", other_id) is not None


def test_lists_through_prepared_statements_see_only_their_own_caller(
    database_url: str,
) -> None:
    """``list_in_environment``: one set of statements per list shape, its values bound per
    call. Asked alternately for each organisation and environment, every page, count and
    cursor is that caller's alone, and the same as ``list_scoped`` with the caller's scope."""
    upgrade(database_url)
    with transaction(database_url) as db:
        acme, globex, sandbox, live, other = _two_organisations(db)
        for n in range(5):
            get_or_create_user(db, acme.id, f"sandbox-{n}", sandbox.id)
        for n in range(3):
            get_or_create_user(db, acme.id, f"live-{n}", live.id)
        get_or_create_user(db, globex.id, "globex-0", other.id)
        callers = [(acme.id, "sandbox"), (acme.id, "live"), (globex.id, "sandbox")]
    expected_totals = {(callers[0]): 5, callers[1]: 3, callers[2]: 1}
    with transaction(database_url) as db:
        seen: dict[tuple[str, str], list[str]] = {}
        for _ in range(2):
            for org_id, environment in callers:
                page = list_in_environment(db, User, org_id, environment, limit=2)
                scope = environment_scope(User, org_id, environment)
                plain = list_scoped(db, User, org_id, limit=2, scope=scope)
                assert [u.id for u in page.items] == [u.id for u in plain.items]
                assert (page.total_count, page.has_more) == (plain.total_count, plain.has_more)
                assert page.total_count == expected_totals[(org_id, environment)]
                every = list_in_environment(db, User, org_id, environment, limit=10)
                seen[(org_id, environment)] = [u.id for u in every.items]
        acme_sandbox, acme_live, globex_sandbox = (seen[c] for c in callers)
        assert not set(acme_sandbox) & set(acme_live)
        assert not set(acme_sandbox) & set(globex_sandbox)
        # Cursors: after and before one of the caller's own; another caller's is unknown.
        after = list_in_environment(db, User, acme.id, "sandbox", limit=2, after_id=acme_sandbox[1])
        assert [u.id for u in after.items] == acme_sandbox[2:4]
        before = list_in_environment(
            db, User, acme.id, "sandbox", limit=2, before_id=acme_sandbox[3]
        )
        assert [u.id for u in before.items] == acme_sandbox[1:3]
        for cursor in (acme_live[0], globex_sandbox[0]):
            with pytest.raises(UnknownCursor):
                list_in_environment(db, User, acme.id, "sandbox", after_id=cursor)
        # A filter's value is bound too.
        named = list_in_environment(
            db, User, acme.id, "sandbox", filters={"identifier": "sandbox-3", "state": None}
        )
        assert [u.identifier for u in named.items] == ["sandbox-3"]
        assert named.total_count == 1
        nobody = list_in_environment(db, User, acme.id, "live", filters={"identifier": "sandbox-3"})
        assert (nobody.items, nobody.total_count) == ([], 0)


def test_a_list_shape_is_prepared_once_and_the_kept_shapes_are_bounded() -> None:
    active = (User.state == "active",)
    first = list_statements(User, ("identifier",), active)
    assert list_statements(User, ("identifier",), active) is first
    assert list_statements(User, (), active) is not first
    assert list_statements(User, ("identifier",)) is not first
    # Conditions built per call only miss: the kept shapes stay bounded.
    for n in range(MAX_LIST_SHAPES + 10):
        list_statements(User, (), (User.identifier == f"u{n}",))
    assert kept_list_shapes() <= MAX_LIST_SHAPES
