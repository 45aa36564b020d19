"""The organisation's defaults across the two environments.

Storage and webhook configs belong to the environment of the key that made them, and are
scoped like every other object (``cloudtap.store.environments``): a key never sees, uses
or attaches a config of the other environment. The organisation has one default per
kind, serving both environments; it applies only to keys of its config's environment
(``config_of_key``). Live keys rely on it, so once the organisation has any, only live
keys choose it: a sandbox key cannot take the default away from them.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from cloudtap.api.auth import Caller
from cloudtap.store.environments import Config
from cloudtap.store.models import Key, Organisation, StorageConfig, WebhookConfig


def has_live_keys(db: DbSession, organisation_id: str) -> bool:
    # Deactivated live keys count: a live key can turn them on again.
    count = db.scalar(
        select(func.count())
        .select_from(Key)
        .where(Key.organisation_id == organisation_id, Key.environment == "live")
    )
    return int(count or 0) > 0


def may_choose_defaults(db: DbSession, caller: Caller) -> bool:
    """Defaults apply to live keys too, so once there are any, only live keys choose them."""
    return caller.environment == "live" or not has_live_keys(db, caller.organisation_id)


def default_of(
    db: DbSession,
    model: type[StorageConfig] | type[WebhookConfig],
    org: Organisation,
    environment: str,
) -> Config | None:
    """The organisation's default config of ``model``, if it is of ``environment``."""
    config_id = org.storage_config_default if model is StorageConfig else org.webhook_config_default
    if config_id is None:
        return None
    found = db.scalars(
        select(model).where(
            model.id == config_id,
            model.organisation_id == org.id,
            model.environment == environment,
        )
    ).first()
    return found if isinstance(found, (StorageConfig, WebhookConfig)) else None


def takes_the_default(
    db: DbSession,
    caller: Caller,
    model: type[StorageConfig] | type[WebhookConfig],
    org: Organisation,
) -> bool:
    """Whether the caller's new config becomes the default (ricloud: the first config
    does): when the caller may choose defaults and the caller's environment has none."""
    if not may_choose_defaults(db, caller):
        return False
    return default_of(db, model, org, caller.environment) is None
