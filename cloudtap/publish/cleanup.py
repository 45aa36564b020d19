"""Removing stored result files once their rows are gone."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from cloudtap.config import Settings
from cloudtap.publish.stores import store_for_result

log = logging.getLogger(__name__)

# (storage, location, storage config id or None), as collected by cloudtap.store.removal.
StoredRef = tuple[str, str, str | None]


def delete_stored_results(settings: Settings, locations: Iterable[StoredRef]) -> int:
    deleted = 0
    for storage, location, config_id in locations:
        try:
            store_for_result(settings, storage, config_id).delete(location)
            deleted += 1
        except (OSError, ValueError):
            log.warning("could not delete a stored result in %s", storage)
    return deleted
