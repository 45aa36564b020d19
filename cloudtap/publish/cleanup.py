"""Removing stored result files once their rows are gone."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from cloudtap.config import Settings
from cloudtap.publish.store import ResultStore
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


def discard_partials(store: ResultStore, key_stem: str) -> int:
    """Remove the partial output of killed runs of one task from the store, where the
    store keeps any (the local one; an S3 bucket drops abandoned multipart uploads by
    its own lifecycle rule)."""
    discard = getattr(store, "discard_partials", None)
    if discard is None:
        return 0
    try:
        return int(discard(key_stem))
    except (OSError, ValueError):
        log.warning("could not remove partial results in %s", store.name)
        return 0
