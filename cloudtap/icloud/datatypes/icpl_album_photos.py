"""``icpl.photos`` limited to albums (the filter ``albums``): their assets in album order.

Albums are read one after the other, each in its own order (from rank 0 up; the Library
and albums sorted descending from their last rank down, as pyicloud reads them); an
asset in several of them is published once, where it first appears, and its ``albums``
lists every asked-for album holding it. A user album is looked up first, so an id naming
no album is an error, not an empty listing.

A shared album (kind ``shared``) is read through ``sharedstreams`` after the others, its
photos with ``contributor`` and ``comments`` (``icpl_shared_albums``); a poll naming
shared albums only has a cursor of its own (``icpl_shared_album_photos``: digests, as
Apple gives them no feed); one mixing them with library albums is whole every time and
leaves no cursor. Otherwise a whole listing (no dates) leaves a
cursor: each zone's sync token, taken first, and each
album's members. A later poll from it returns only what the albums gained or lost
(``icpl_album_changes``): one request when nothing changed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from cloudtap.icloud import errors
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes.icpl_album_changes import membership, zone_changes, zone_tokens
from cloudtap.icloud.datatypes.icpl_albums import SHARED_LIBRARY_COUNT, AlbumRef
from cloudtap.icloud.datatypes.icpl_photos import item_id, to_item, within
from cloudtap.icloud.datatypes.icpl_shared_album_photos import fetch_shared
from cloudtap.icloud.datatypes.icpl_shared_albums import photo_items
from cloudtap.icloud.datatypes.stream import CursorSink, removed
from cloudtap.icloud.services import shared_streams
from cloudtap.icloud.services.cloudkit import field_value
from cloudtap.icloud.services.photo_albums import (
    ALBUM_ASSETS,
    ALBUM_COUNT,
    SMART_BY_NAME,
    album_filters,
    counts,
    iter_album_assets,
    smart_filters,
)
from cloudtap.icloud.services.photos import AssetRecords, PhotosLibrary, PhotoZone

# A cursor's zone sync tokens (zone key → token) and each album's item ids in order.
AlbumCursor = tuple[dict[str, str], dict[str, list[str]]]

# The Shared Library as an album: the zone's own "all photos" index.
_LIBRARY_INDEX = SMART_BY_NAME["Library"].list_type
assert SMART_BY_NAME["Library"].count_id == SHARED_LIBRARY_COUNT


async def _pages(library: PhotosLibrary, ref: AlbumRef) -> AsyncIterator[list[AssetRecords]]:
    zone = ref.zone
    if ref.kind == "user":
        records = await library.database(zone.scope).lookup(zone.zone_id, [ref.key])
        album = next((r for r in records if r.get("recordType") == "CPLAlbum"), None)
        if album is None or field_value(album, "isDeleted"):
            raise errors.NotFound("that album is no longer in the library")
        count_id = f"{ALBUM_COUNT}:{ref.key}"
        # An album sorted descending (``sortAscending`` 0) is read from its end, as
        # pyicloud reads it; that needs its count first.
        sort_ascending = field_value(album, "sortAscending")
        start = None
        if sort_ascending is not None and sort_ascending != 1:
            start = await _count(library, ref, count_id)
        pages = iter_album_assets(
            library, zone, ALBUM_ASSETS, album_filters(ref.key), descending_from=start
        )
    elif ref.kind == "smart":
        smart = SMART_BY_NAME[ref.key]
        start = await _count(library, ref, smart.count_id) if smart.descending else None
        pages = iter_album_assets(
            library,
            zone,
            smart.list_type,
            smart_filters(smart),
            include_deleted=smart.deleted,
            descending_from=start,
        )
    elif ref.kind == "shared_library":
        pages = iter_album_assets(library, zone, _LIBRARY_INDEX, [])
    else:  # a folder holds albums, not photos (the API refuses it up front)
        raise errors.NotFound("a folder holds albums, not photos: name its albums")
    async for page in pages:
        yield page


async def _count(library: PhotosLibrary, ref: AlbumRef, count_id: str) -> int:
    found = await counts(library, ref.zone, [count_id])
    if count_id not in found:  # without it there is no last rank to start from
        raise errors.AppleUnavailable("Apple gave no count for that album")
    return found[count_id]


async def _listed(
    library: PhotosLibrary,
    refs: dict[str, AlbumRef],
    filters: Filters,
    members: dict[str, list[str]],
) -> AsyncIterator[JSONDict]:
    """The albums' assets, each once, album after album; ``members`` gets each album's
    item ids in its order."""
    listed: dict[str, JSONDict] = {}
    for album_id, ref in refs.items():
        held = members.setdefault(album_id, [])
        async for page in _pages(library, ref):
            for assets in page:
                if not within(assets, filters):
                    continue
                key = item_id(assets)
                item = listed.get(key)
                if item is None:
                    item = listed[key] = {**to_item(assets), "albums": []}
                if album_id not in item["albums"]:
                    item["albums"].append(album_id)
                    held.append(key)
    for item in listed.values():
        yield item


def _kept(cursor: JSONDict | None, refs: dict[str, AlbumRef]) -> AlbumCursor | None:
    """The cursor's zone tokens and album members, if it is one for exactly these albums."""
    if not isinstance(cursor, dict):
        return None
    tokens, members = cursor.get("zones"), cursor.get("albums")
    if not isinstance(tokens, dict) or not isinstance(members, dict) or set(members) != set(refs):
        return None
    if not all(isinstance(v, list) for v in members.values()):
        return None
    return (
        {str(k): str(v) for k, v in tokens.items()},
        {str(k): [str(i) for i in v] for k, v in members.items()},
    )


async def fetch_albums(
    library: PhotosLibrary, filters: Filters, set_cursor: CursorSink
) -> AsyncIterator[JSONDict]:
    """The albums' assets; from a cursor (an earlier whole listing of the same albums),
    only what they gained or lost since: the assets whose albums changed, and
    ``removed`` for those no longer in any of them."""
    every = {album_id: AlbumRef.parse(album_id) for album_id in dict.fromkeys(filters.albums)}
    shared = {a: r for a, r in every.items() if r.kind == "shared"}
    if shared and len(shared) == len(every):
        async for item in fetch_shared(library.client, shared, filters, set_cursor):
            yield item
        return
    if shared:
        # Mixed with library albums (each kind its own cursor): whole, and no cursor.
        rest = {a: r for a, r in every.items() if r.kind != "shared"}
        async for item in _listed(library, rest, filters, {}):
            yield item
        listed = {s.guid: s for s in await shared_streams.albums(library.client)}
        for album_id, ref in shared.items():
            stream = listed.get(ref.key)
            if stream is None:
                raise errors.NotFound("that shared album is no longer shared with this account")
            async for item in photo_items(library.client, album_id, stream, filters):
                yield item
        return
    refs = every
    zones = list({ref.zone.key: ref.zone for ref in refs.values()}.values())
    kept = _kept(filters.cursor, refs)
    if kept is not None:
        async for item in _changes(library, refs, zones, kept, set_cursor):
            yield item
        return
    whole = filters.since is None and filters.until is None  # a date-bounded one: no cursor
    tokens = await zone_tokens(library, zones) if whole else {}
    members: dict[str, list[str]] = {}
    async for item in _listed(library, refs, filters, members):
        yield item
    if whole and len(tokens) == len(zones):
        set_cursor({"zones": tokens, "albums": members})


async def _changes(
    library: PhotosLibrary,
    refs: dict[str, AlbumRef],
    zones: list[PhotoZone],
    kept: AlbumCursor,
    set_cursor: CursorSink,
) -> AsyncIterator[JSONDict]:
    """Albums in zones unchanged since the cursor cost one ``changes/zone`` per database;
    the albums of a changed zone are listed again (dates ignored: the cursor says since
    when) and compared with the members the cursor kept."""
    old_tokens, old_members = kept
    probe = await zone_changes(library, zones, old_tokens)
    tokens = dict(probe.tokens)
    tokens.update(await zone_tokens(library, [z for z in zones if z.key in probe.changed]))
    again = {a: r for a, r in refs.items() if r.zone.key in probe.changed}
    members = {a: old_members[a] for a in refs if a not in again}
    fresh: dict[str, JSONDict] = {}
    async for item in _listed(library, again, Filters(), members):
        fresh[str(item["id"])] = item
    # An album's assets are in its zone: an asset of a changed zone is in no other album.
    before = membership({a: old_members[a] for a in again})
    after = membership({a: members[a] for a in again})
    for key, albums in after.items():
        if before.get(key) != albums:
            yield fresh[key]
    for key in before:
        if key not in after:
            yield removed(key)
    if len(tokens) == len(zones):
        set_cursor({"zones": tokens, "albums": members})
