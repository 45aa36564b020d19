"""What an album-limited ``icpl.photos`` poll with a cursor needs to know: whether an
album's zone changed since the cursor's sync token, and what the album gained or lost.

One ``changes/zone`` per database answers "did anything in these zones change?": an
album's membership lives in its zone (``CPLContainerRelation`` records, pyicloud's
album queries), so a zone whose change feed is empty since the token holds the same
albums with the same assets (CloudKit's sync token covers every record of the zone).
Which changed records touch which album is not in the evidence (no capture shows a
relation record in a change feed), so any change to a zone re-lists its asked albums and
compares them with the members the cursor kept: never a guess from a partial feed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cloudtap.icloud.services.photos import PhotosLibrary, PhotoZone, Scope


@dataclass
class ZoneChanges:
    changed: set[str] = field(default_factory=set)  # zone keys to list again
    tokens: dict[str, str] = field(default_factory=dict)  # unchanged zones' newer tokens


async def zone_tokens(library: PhotosLibrary, zones: list[PhotoZone]) -> dict[str, str]:
    """Each zone's sync token, taken before what it holds is read (a change made while it
    is read is then seen by the next poll); a zone without one is left out."""
    tokens: dict[str, str] = {}
    for zone in zones:
        token = (await library.count(zone))[1]
        if token:
            tokens[zone.key] = token
    return tokens


async def zone_changes(
    library: PhotosLibrary, zones: list[PhotoZone], tokens: dict[str, str]
) -> ZoneChanges:
    """For each zone, whether it changed since its token: one ``changes/zone`` request per
    database, reading only the first page (one changed record is enough to know). A zone
    Apple does not answer for, or answers without a token, counts as changed."""
    out = ZoneChanges()
    scopes: dict[Scope, list[PhotoZone]] = {}
    for zone in zones:
        if zone.key in tokens:
            scopes.setdefault(zone.scope, []).append(zone)
        else:
            out.changed.add(zone.key)
    for scope, asked in scopes.items():
        reply = await library.database(scope).call(
            "changes/zone",
            {
                "zones": [
                    {"zoneID": z.zone_id, "syncToken": tokens[z.key], "reverse": False}
                    for z in asked
                ]
            },
        )
        answered = {_name(entry): entry for entry in reply.get("zones") or []}
        for zone in asked:
            entry = answered.get(zone.name)
            if entry is None or not entry.get("syncToken") or _changed(entry):
                out.changed.add(zone.key)
            else:
                out.tokens[zone.key] = str(entry["syncToken"])
    return out


def _name(entry: Any) -> str:
    if not isinstance(entry, dict):
        return ""
    zone_id = entry.get("zoneID")
    return str(zone_id.get("zoneName", "")) if isinstance(zone_id, dict) else ""


def _changed(entry: dict[str, Any]) -> bool:
    return bool(entry.get("records")) or bool(entry.get("moreComing"))


def membership(members: dict[str, list[str]]) -> dict[str, list[str]]:
    """album id → item ids (a cursor's) as item id → the albums holding it, in order."""
    held: dict[str, list[str]] = {}
    for album_id, item_ids in members.items():
        for item_id in item_ids:
            held.setdefault(item_id, []).append(album_id)
    return held
