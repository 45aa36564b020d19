"""``icpl.photos`` limited to albums (the filter ``albums``): their assets in album order.

Albums are read one after the other, each from rank 0 up; an asset in several of them is
published once, where it first appears, and its ``albums`` lists every asked-for album
holding it. A user album is looked up first, so an id naming no album is an error, not an
empty listing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from cloudtap.icloud import errors
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes.icpl_albums import SHARED_LIBRARY_COUNT, AlbumRef
from cloudtap.icloud.datatypes.icpl_photos import item_id, to_item, within
from cloudtap.icloud.services.photo_albums import (
    ALBUM_ASSETS,
    SMART_BY_NAME,
    album_filters,
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
        if not any(r.get("recordType") == "CPLAlbum" for r in records):
            raise errors.NotFound("that album is no longer in the library")
        pages = iter_album_assets(library, zone, ALBUM_ASSETS, album_filters(ref.key))
    elif ref.kind == "smart":
        smart = SMART_BY_NAME[ref.key]
        pages = iter_album_assets(
            library, zone, smart.list_type, smart_filters(smart), include_deleted=smart.deleted
        )
    elif ref.kind == "shared_library":
        pages = iter_album_assets(library, zone, _LIBRARY_INDEX, [])
    else:  # a folder holds albums, not photos (the API refuses it up front)
        raise errors.NotFound("a folder holds albums, not photos: name its albums")
    async for page in pages:
        yield page


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
