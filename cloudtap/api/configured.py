"""The organisation's ``unconfigured`` state: its results have nowhere valid to go.

ricloud documents an organisation as ``unconfigured`` until it has a valid storage
config, and the ``unconfigured`` error for requests that need the missing config.
cloudtap always has its own result store, so an organisation is unconfigured only when
the storage config its results would go to (the key's, else the organisation default)
has been tested ``invalid`` or is ``deactivated``: polls would fail at publishing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session as DbSession

from cloudtap.api.auth import Caller
from cloudtap.api.errors import ApiError
from cloudtap.publish.stores import results_config

UNUSABLE_STATES = ("invalid", "deactivated")


def unusable_config(db: DbSession, organisation_id: str, key_id: str | None) -> str | None:
    """The id of the unusable storage config results would go to, or None."""
    config = results_config(db, organisation_id, key_id)
    return config.id if config is not None and config.state in UNUSABLE_STATES else None


def require_configured(db: DbSession, caller: Caller) -> None:
    config_id = unusable_config(db, caller.organisation_id, caller.key_id)
    if config_id is not None:
        raise ApiError(
            403,
            "unconfigured",
            f"Results would go to storage config {config_id}, which is not valid: fix and "
            "test it, or choose another storage config for this key or organisation.",
            {"storage_config": config_id},
        )
