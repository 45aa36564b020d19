"""What clients changed in a world's Photos libraries (``records/modify``).

Generated and replayed libraries are immutable; deletions and favourites made through
the API are an overlay, kept per world (see ``cloudkit.context``) and per zone, with an append-only
log that extends the zone's change feed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


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

    def albums_changed(self, dsid: str, zone: str) -> None:
        """A zone's albums were renamed or removed (by a test standing in for the owner's
        Photos app): replies kept for the zone are stale."""
        edits = self.zone(dsid, zone)
        with self.lock:
            edits.version += 1

    def export(self) -> list[dict[str, Any]]:
        """Every zone's edits as plain data (for the sandbox's memory across restarts)."""
        with self.lock:
            return [
                {
                    "dsid": dsid,
                    "zone": zone,
                    "deleted": sorted(edits.deleted),
                    "favorite": [[i, f] for i, f in edits.favorite.items()],
                    "log": list(edits.log),
                    "version": edits.version,
                }
                for (dsid, zone), edits in self._zones.items()
            ]

    def restore(self, saved: Iterable[Mapping[str, Any]]) -> None:
        with self.lock:
            for zone in saved:
                self._zones[(str(zone["dsid"]), str(zone["zone"]))] = ZoneEdits(
                    deleted={int(i) for i in zone["deleted"]},
                    favorite={int(i): bool(f) for i, f in zone["favorite"]},
                    log=[int(i) for i in zone["log"]],
                    version=int(zone["version"]),
                )
