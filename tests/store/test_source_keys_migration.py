"""Migration 0006 records which key created each source (for ``key``-level permission
limits), on SQLite and PostgreSQL: sources made before it are credited to the key that
created their user, or to none if that user had none. Downgrading removes the column."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import MetaData, inspect, select

from cloudtap.store.db import engine_for
from cloudtap.store.migrate import downgrade, upgrade

CREATED = datetime(2026, 1, 1)


def _seed(database_url: str) -> None:
    engine = engine_for(database_url)
    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    with engine.begin() as db:
        db.execute(
            t["organisations"].insert(),
            [{"id": "org", "name": "Org", "slug": "org", "type": "standard", "state": "active",
              "config": {}, "date_created": CREATED}],
        )  # fmt: skip
        db.execute(
            t["users"].insert(),
            [
                {"id": "u-key", "organisation_id": "org", "key_id": "key-1",
                 "identifier": "with-key", "state": "active", "date_created": CREATED},
                {"id": "u-none", "organisation_id": "org", "key_id": None,
                 "identifier": "no-key", "state": "active", "date_created": CREATED},
            ],
        )  # fmt: skip
        db.execute(
            t["sources"].insert(),
            [
                {"id": f"s-{user}-{n}", "organisation_id": "org", "user_id": user,
                 "type": "icloud.account", "identifier": f"{user}-{n}@example.com",
                 "state": "active", "account": {}, "date_created": CREATED}
                for user in ("u-key", "u-none")
                for n in range(2)
            ],
        )  # fmt: skip


def test_existing_sources_are_credited_to_their_users_key(database_url: str) -> None:
    upgrade(database_url, "0005")
    _seed(database_url)
    upgrade(database_url, "0006")
    engine = engine_for(database_url)
    meta = MetaData()
    meta.reflect(engine)
    sources = meta.tables["sources"]
    with engine.connect() as db:
        rows = {row.id: row.key_id for row in db.execute(select(sources.c.id, sources.c.key_id))}
    assert rows == {
        "s-u-key-0": "key-1",
        "s-u-key-1": "key-1",
        "s-u-none-0": None,
        "s-u-none-1": None,
    }
    downgrade(database_url, "0005")
    columns = {c["name"] for c in inspect(engine_for(database_url)).get_columns("sources")}
    assert "key_id" not in columns and "identifier" in columns
