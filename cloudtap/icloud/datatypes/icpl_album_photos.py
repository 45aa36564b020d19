"""``icpl.photos`` limited to albums (the filter ``albums``): their assets in album order.

Albums are read one after the other, each in its own order (from rank 0 up; the Library
and albums sorted descending from their last rank down, as pyicloud reads them); an
asset in several of them is published once, where it first appears, and its ``albums``
lists every asked-for album holding it. A user album is looked up first, so an id naming
no album is an error, not an empty listing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from cloudtap.icloud import errors
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes.icpl_albums import SHARED_LIBRARY_COUNT, AlbumRef
from cloudtap.icloud.datatypes.icpl_photos import item_id, to_item, within
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
from cloudtap.icloud.services.photos import AssetRecords, PhotosLibrary

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


async def fetch_albums(library: PhotosLibrary, filters: Filters) -> AsyncIterator[JSONDict]:
    listed: dict[str, JSONDict] = {}
    for album_id in filters.albums:
        async for page in _pages(library, AlbumRef.parse(album_id)):
            for assets in page:
                if not within(assets, filters):
                    continue
                item = listed.get(item_id(assets))
                if item is None:
                    item = listed[item_id(assets)] = {**to_item(assets), "albums": []}
                if album_id not in item["albums"]:
                    item["albums"].append(album_id)
    for item in listed.values():
        yield item
