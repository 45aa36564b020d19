"""``icpl.photos`` limited to shared albums only: whole, or since a kept cursor.

Apple gives shared albums no change feed (pyicloud reads them whole; ``albumctag``'s
meaning is assumed, so it is not trusted to skip an album). A whole listing (no dates)
leaves a cursor holding each album's photo ids and a digest of each published item; a
later poll from it lists the albums again (the album list plus one ``webgetassets`` per
100 photos, as a whole one does) and publishes only the photos whose digest is new or
differs (added, or their comments or contributor changed) and ``removed`` for those gone.
A photo's item names the album, so no photo is published twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes.icpl_albums import AlbumRef
from cloudtap.icloud.datatypes.icpl_shared_albums import photo_items
from cloudtap.icloud.datatypes.listing_diff import digest
from cloudtap.icloud.datatypes.stream import CursorSink, removed
from cloudtap.icloud.services import shared_streams

CURSOR_KEY = "shared_albums"  # album id → {item id → digest}

Digests = dict[str, dict[str, str]]


def _kept(cursor: JSONDict | None, album_ids: list[str]) -> Digests | None:
    """The cursor's digests, if it is one for exactly these shared albums."""
    found = cursor.get(CURSOR_KEY) if isinstance(cursor, dict) else None
    if not isinstance(found, dict) or set(found) != set(album_ids):
        return None
    if not all(isinstance(v, dict) for v in found.values()):
        return None
    return {str(a): {str(k): str(v) for k, v in d.items()} for a, d in found.items()}


async def fetch_shared(
    client: AppleClient, refs: dict[str, AlbumRef], filters: Filters, set_cursor: CursorSink
) -> AsyncIterator[JSONDict]:
    """The shared albums' photos in album order; from a kept cursor only what changed."""
    kept = _kept(filters.cursor, list(refs))
    whole = kept is None and filters.since is None and filters.until is None
    listed = {s.guid: s for s in await shared_streams.albums(client)}
    digests: Digests = {}
    for album_id, ref in refs.items():
        stream = listed.get(ref.key)
        if stream is None:
            raise errors.NotFound("that shared album is no longer shared with this account")
        before = kept.get(album_id, {}) if kept is not None else {}
        now = digests[album_id] = {}
        # From a cursor the dates are not applied: the cursor says since when.
        asked = Filters() if kept is not None else filters
        async for item in photo_items(client, album_id, stream, asked):
            key = str(item["id"])
            if key in now:
                raise errors.AppleUnavailable("a shared album listed one photo twice")
            now[key] = digest(item)
            if kept is None or before.get(key) != now[key]:
                yield item
        for key in before:
            if key not in now:
                yield removed(key)
    if whole or kept is not None:
        set_cursor({CURSOR_KEY: digests})
