"""What clients changed in a world's Photos libraries (``records/modify``).

Generated and replayed libraries are immutable; deletions and favourites made through
the API are an overlay, kept per world (see ``cloudkit.context``) and per zone, with an append-only
log that extends the zone's change feed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class ZoneEdits:
    deleted: set[int] = field(default_factory=set)
    favorite: dict[int, bool] = field(default_factory=dict)  # isFavorite set by a client
    log: list[int] = field(default_factory=list)  # asset indices, in edit order
    # Bumped by every edit: replies kept for the zone (the server's page cache) are
    # only valid for the version they were built at.
    version: int = 0


class PhotosEdits:
    def __init__(self) -> None:
        self._zones: dict[tuple[str, str], ZoneEdits] = {}
        self.lock = threading.Lock()

    def zone(self, dsid: str, zone: str) -> ZoneEdits:
        with self.lock:
            return self._zones.setdefault((dsid, zone), ZoneEdits())

    def set_deleted(self, dsid: str, zone: str, index: int, deleted: bool) -> None:
        edits = self.zone(dsid, zone)
        with self.lock:
            if deleted:
                edits.deleted.add(index)
            else:
                edits.deleted.discard(index)
            edits.log.append(index)
            edits.version += 1

    def set_favorite(self, dsid: str, zone: str, index: int, favorite: bool) -> None:
        edits = self.zone(dsid, zone)
        with self.lock:
            edits.favorite[index] = favorite
            edits.log.append(index)
            edits.version += 1
