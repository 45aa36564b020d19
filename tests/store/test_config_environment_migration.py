"""Migration 0007 gives every storage and webhook config an environment, on SQLite and
PostgreSQL: what live keys rely on becomes live, else the creating key's environment as
the audit log recorded it, else live; a key left naming a config of the other environment
is detached from it. Downgrading removes the column again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, MetaData, Table, inspect, select

from cloudtap.store.db import engine_for
from cloudtap.store.migrate import downgrade, upgrade

BEFORE = "0006"

ORGS: list[dict[str, Any]] = [
    # org A has live keys; org B only a sandbox key.
    {"id": "org-a", "storage_config_default": "s-default-a", "webhook_config_default": None},
    {"id": "org-b", "storage_config_default": "s-default-b", "webhook_config_default": None},
]
KEYS: list[dict[str, Any]] = [
    {"id": "live-1", "organisation_id": "org-a", "environment": "live",
     "storage_config_id": "s-live", "webhook_config_id": "w-live"},
    {"id": "live-2", "organisation_id": "org-a", "environment": "live", "state": "deactivated",
     "storage_config_id": "s-shared", "webhook_config_id": None},
    {"id": "sandbox-1", "organisation_id": "org-a", "environment": "sandbox",
     "storage_config_id": "s-shared", "webhook_config_id": "w-live"},
    {"id": "sandbox-2", "organisation_id": "org-a", "environment": "sandbox",
     "storage_config_id": "s-sandbox", "webhook_config_id": "w-sandbox"},
    {"id": "sandbox-3", "organisation_id": "org-a", "environment": "sandbox",
     "storage_config_id": "s-missing", "webhook_config_id": None},
    {"id": "sandbox-b", "organisation_id": "org-b", "environment": "sandbox",
     "storage_config_id": None, "webhook_config_id": None},
]  # fmt: skip
STORAGE = {
    "s-live": "org-a",  # a live key's
    "s-shared": "org-a",  # a (deactivated) live key's and a sandbox key's
    "s-default-a": "org-a",  # the default of an organisation with live keys
    "s-sandbox": "org-a",  # made by a sandbox key (audit log), a sandbox key's
    "s-unknown": "org-a",  # no record of who made it
    "s-default-b": "org-b",  # default of a sandbox-only organisation, made by sandbox
}
WEBHOOK = {"w-live": "org-a", "w-sandbox": "org-a", "w-unknown": "org-b"}
AUDIT = [
    ("storage_config.created", "s-default-a", "org-a", "sandbox"),
    ("storage_config.created", "s-sandbox", "org-a", "sandbox"),
    ("storage_config.created", "s-default-b", "org-b", "sandbox"),
    ("webhook_config.created", "w-sandbox", "org-a", "sandbox"),
    ("webhook_config.created", "w-live", "org-a", "sandbox"),
    # Another organisation's record of the same id says nothing about this one.
    ("storage_config.created", "s-unknown", "org-b", "sandbox"),
]


def _filled(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with a value for every required column it leaves out."""
    values = dict(row)
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        if isinstance(column.type, JSON):
            values[column.name] = {}
        elif isinstance(column.type, Boolean):
            values[column.name] = False
        elif isinstance(column.type, Integer):
            values[column.name] = 0
        elif isinstance(column.type, DateTime):
            values[column.name] = datetime(2026, 1, 1)
        else:
            values[column.name] = f"{column.name}-{row['id']}"[:20]
    return values


def _seed(database_url: str) -> None:
    engine = engine_for(database_url)
    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    with engine.begin() as db:
        for org in ORGS:
            db.execute(t["organisations"].insert(), _filled(t["organisations"], org))
        for key in KEYS:
            db.execute(t["keys"].insert(), _filled(t["keys"], {"state": "active", **key}))
        for config_id, org_id in STORAGE.items():
            row: dict[str, Any] = {
                "id": config_id,
                "organisation_id": org_id,
                "type": "local",
                "url": "local://x",
            }
            db.execute(t["storage_configs"].insert(), _filled(t["storage_configs"], row))
        for config_id, org_id in WEBHOOK.items():
            row = {"id": config_id, "organisation_id": org_id, "url": "https://h.example.com"}
            db.execute(t["webhook_configs"].insert(), _filled(t["webhook_configs"], row))
        for n, (action, object_id, org_id, environment) in enumerate(AUDIT):
            entry: dict[str, Any] = {
                "id": f"audit-{n}",
                "organisation_id": org_id,
                "action": action,
                "object_type": action.split(".")[0],
                "object_id": object_id,
                "environment": environment,
                "key_id": None,
            }
            db.execute(t["audit_log"].insert(), _filled(t["audit_log"], entry))


def _column(engine: Any, table: str, *columns: str) -> dict[str, tuple[Any, ...]]:
    meta = MetaData()
    reflected = Table(table, meta, autoload_with=engine)
    with engine.connect() as db:
        rows = db.execute(select(reflected.c.id, *(reflected.c[c] for c in columns)))
        return {row[0]: tuple(row[1:]) for row in rows}


def test_existing_configs_are_given_the_safest_environment(database_url: str) -> None:
    upgrade(database_url, BEFORE)
    _seed(database_url)
    upgrade(database_url)
    engine = engine_for(database_url)
    storage = {k: v[0] for k, v in _column(engine, "storage_configs", "environment").items()}
    assert storage == {
        "s-live": "live",
        "s-shared": "live",
        "s-default-a": "live",
        "s-sandbox": "sandbox",
        "s-unknown": "live",
        "s-default-b": "sandbox",
    }
    webhook = {k: v[0] for k, v in _column(engine, "webhook_configs", "environment").items()}
    assert webhook == {"w-live": "live", "w-sandbox": "sandbox", "w-unknown": "live"}
    keys = _column(engine, "keys", "storage_config_id", "webhook_config_id")
    assert keys == {
        "live-1": ("s-live", "w-live"),
        "live-2": ("s-shared", None),
        # A sandbox key no longer names live configs; its own stay; an id naming no
        # config at all is left as it was.
        "sandbox-1": (None, None),
        "sandbox-2": ("s-sandbox", "w-sandbox"),
        "sandbox-3": ("s-missing", None),
        "sandbox-b": (None, None),
    }
    orgs = _column(engine, "organisations", "storage_config_default")
    assert orgs == {"org-a": ("s-default-a",), "org-b": ("s-default-b",)}
    columns = {c["name"]: c for c in inspect(engine).get_columns("storage_configs")}
    assert columns["environment"]["nullable"] is False


def test_downgrade_drops_the_environment_and_upgrades_again(database_url: str) -> None:
    upgrade(database_url, BEFORE)
    _seed(database_url)
    upgrade(database_url)
    downgrade(database_url, BEFORE)
    engine = engine_for(database_url)
    for table in ("storage_configs", "webhook_configs"):
        names = {c["name"] for c in inspect(engine).get_columns(table)}
        assert "environment" not in names and "url" in names
    assert set(_column(engine, "storage_configs", "url")) == set(STORAGE)
    upgrade(database_url)
    for table in ("storage_configs", "webhook_configs"):
        names = {c["name"] for c in inspect(engine).get_columns(table)}
        assert "environment" in names
