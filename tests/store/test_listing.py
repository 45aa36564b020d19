"""``get_in_environment``: one prepared statement per model, its values bound per call;
a lookup for one organisation or environment never answers with another's row."""

from __future__ import annotations

from cloudtap.store.accounts import create_organisation, get_or_create_user, issue_key
from cloudtap.store.db import transaction
from cloudtap.store.listing import get_in_environment
from cloudtap.store.migrate import upgrade
from cloudtap.store.models import Key, User


def test_lookups_in_turn_see_only_their_own_organisation_and_environment(
    database_url: str,
) -> None:
    upgrade(database_url)
    with transaction(database_url) as db:
        acme, globex = create_organisation(db, "Acme"), create_organisation(db, "Globex")
        sandbox = issue_key(db, acme.id, "sandbox").key
        live = issue_key(db, acme.id, "live").key
        other = issue_key(db, globex.id, "sandbox").key
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
