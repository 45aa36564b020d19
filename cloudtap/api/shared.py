"""Organisation-wide configs (storage, webhooks, the defaults) across the two environments.

Storage and webhook configs belong to the organisation, not to an environment: both its
sandbox and live keys can see them and attach them to themselves. What a sandbox key
may not do is change what live keys rely on (a live key's own config, or the default
while live keys fall back to it), read the signing secret of a webhook they rely on, or
choose the defaults once the organisation has live keys. Otherwise a leaked sandbox key
could redirect live results and events, or forge signed live webhooks.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from cloudtap.api.auth import Caller
from cloudtap.api.errors import ApiError
from cloudtap.store.models import Key, Organisation, StorageConfig, WebhookConfig

Config = StorageConfig | WebhookConfig


def _live_keys(organisation_id: str) -> list[Any]:
    # Deactivated live keys count: a live key can turn them on again.
    return [Key.organisation_id == organisation_id, Key.environment == "live"]


def _count(db: DbSession, *conditions: Any) -> int:
    return int(db.scalar(select(func.count()).select_from(Key).where(*conditions)) or 0)


def has_live_keys(db: DbSession, organisation_id: str) -> bool:
    return _count(db, *_live_keys(organisation_id)) > 0


def live_keys_rely_on(db: DbSession, config: Config) -> bool:
    """Whether a live key publishes or delivers through ``config``."""
    org_id = config.organisation_id
    column: Any = (
        Key.storage_config_id if isinstance(config, StorageConfig) else Key.webhook_config_id
    )
    if _count(db, *_live_keys(org_id), column == config.id):
        return True
    org = db.scalars(select(Organisation).where(Organisation.id == org_id)).first()
    default = (
        None
        if org is None
        else org.storage_config_default
        if isinstance(config, StorageConfig)
        else org.webhook_config_default
    )
    return default == config.id and _count(db, *_live_keys(org_id), column.is_(None)) > 0


def require_live_key_for(db: DbSession, caller: Caller, config: Config) -> None:
    """Refuses a change to ``config`` by a sandbox key when live keys rely on it."""
    if caller.environment != "live" and live_keys_rely_on(db, config):
        raise ApiError(
            403,
            "live-key-required",
            "Live keys rely on this config: change it with a live key.",
            {"id": config.id},
        )


def may_choose_defaults(db: DbSession, caller: Caller) -> bool:
    """Defaults apply to live keys too, so once there are any, only live keys choose them."""
    return caller.environment == "live" or not has_live_keys(db, caller.organisation_id)


def may_read_secret(db: DbSession, caller: Caller, config: WebhookConfig) -> bool:
    return caller.environment == "live" or not live_keys_rely_on(db, config)
