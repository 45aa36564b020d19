"""Removing stored result files once their rows are gone."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from cloudtap.config import Settings
from cloudtap.publish.stores import store_named

log = logging.getLogger(__name__)


def delete_stored_results(settings: Settings, locations: Iterable[tuple[str, str]]) -> int:
    deleted = 0
    for storage, location in locations:
        try:
            store_named(settings, storage).delete(location)
            deleted += 1
        except (OSError, ValueError):
            log.warning("could not delete a stored result in %s", storage)
    return deleted
