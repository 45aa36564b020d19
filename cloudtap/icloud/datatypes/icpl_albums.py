"""Data type ``icpl.albums``: the albums of an iCloud Photo Library as ``icpl.album`` items.

Each item: ``id`` (stable, and what the ``icpl.photos`` filter ``albums`` takes),
``data_type`` ``icpl.album``, ``name``, ``kind`` (``user``, ``folder``, ``smart``,
``shared_library``), ``parent`` (the id of the folder holding it, else null),
``asset_count`` (null for a folder, which holds albums, or when Apple gives no count),
``date_created`` and ``date_modified`` (null for smart albums and the Shared Library,
which are not records). A listing costs the zone lists, an indexing check, one album
query for the top level and one per folder, and one batched count (plus one per Shared
Library), and each zone's sync token for the cursor. Shared albums (kind ``shared``) come
last, with ``owner``, ``sharing`` and ``contributors`` (``icpl_shared_albums``): the album
list and one request per 100 photos. A listing resumed from the zones' tokens first asks
their change feed (``changes``): when no zone changed since, no library album, folder or
count did either, and only the shared albums (no zone's records) are listed again.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from cloudtap.icloud import errors
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes.icpl_album_changes import zone_changes, zone_tokens
from cloudtap.icloud.datatypes.icpl_photos import iso_datetime
from cloudtap.icloud.datatypes.icpl_shared_albums import album_item
from cloudtap.icloud.datatypes.listing_diff import CURSOR_KEY, FeedChanges, digest
from cloudtap.icloud.datatypes.stream import CursorSink
from cloudtap.icloud.services import shared_streams
from cloudtap.icloud.services.photo_albums import (
    ALBUM_COUNT,
    SMART_ALBUMS,
    SMART_BY_NAME,
    album_records,
    counts,
)
from cloudtap.icloud.services.photos import PRIMARY_ZONE, PhotosLibrary, PhotoZone

DATA_TYPE = "icpl.albums"
ITEM_TYPE = "icpl.album"
SHARED_LIBRARY_NAME = "Shared Library"
SHARED_LIBRARY_COUNT = "CPLAssetByAssetDateWithoutHiddenOrDeleted"
ZONES_KEY = "album_zones"  # the cursor's zone sync tokens (zone key → token)

AlbumKind = Literal["user", "folder", "smart", "shared_library", "shared"]
_KIND_CODES: dict[AlbumKind, str] = {
    "user": "a", "folder": "f", "smart": "s", "shared_library": "l", "shared": "x",
}  # fmt: skip
# A shared album (shared stream) is no CloudKit zone's: its ids name this instead.
SHARED_STREAMS = "sharedstreams"
_KINDS_BY_CODE = {code: kind for kind, code in _KIND_CODES.items()}
ALBUM_KINDS: tuple[str, ...] = tuple(_KIND_CODES)


@dataclass(frozen=True)
class AlbumRef:
    """What an album id names: a zone, a kind and, within it, a record or smart album name.

    Ids are reversible (like ``icpl://`` file ids), so a poll filtered by album reads that
    album straight away, without listing every album first.
    """

    scope: Literal["private", "shared"]
    zone_name: str
    kind: AlbumKind
    key: str  # CPLAlbum record name, smart album name, or "" for the Shared Library

    def to_id(self) -> str:
        zone = "P" if self.zone_name == PRIMARY_ZONE else self.zone_name
        raw = ":".join((self.scope[0], zone, _KIND_CODES[self.kind], self.key))
        return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")

    @property
    def zone(self) -> PhotoZone:
        return PhotoZone(self.scope, {"zoneName": self.zone_name})

    @classmethod
    def parse(cls, album_id: str) -> AlbumRef:
        try:
            padded = album_id + "=" * (-len(album_id) % 4)
            raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
            scope, zone, code, key = raw.split(":", 3)
        except (binascii.Error, UnicodeError, ValueError) as exc:
            raise errors.NotFound(f"{album_id!r} is not an album id") from exc
        kind = _KINDS_BY_CODE.get(code)
        if scope not in ("p", "s") or kind is None or not zone:
            raise errors.NotFound(f"{album_id!r} is not an album id")
        named = key in SMART_BY_NAME if kind == "smart" else bool(key) or kind == "shared_library"
        if not named:
            raise errors.NotFound(f"{album_id!r} is not an album id")
        return cls(
            scope="private" if scope == "p" else "shared",
            zone_name=PRIMARY_ZONE if zone == "P" else zone,
            kind=kind,
            key=key,
        )


def _item(
    ref: AlbumRef,
    name: str,
    parent: str | None,
    asset_count: int | None,
    created_ms: int | None = None,
    modified_ms: int | None = None,
) -> JSONDict:
    return {
        "id": ref.to_id(),
        "data_type": ITEM_TYPE,
        "name": name,
        "kind": ref.kind,
        "parent": parent,
        "asset_count": asset_count,
        "date_created": iso_datetime(created_ms),
        "date_modified": iso_datetime(modified_ms),
    }


async def fetch(
    library: PhotosLibrary, filters: Filters, set_cursor: CursorSink
) -> AsyncIterator[JSONDict]:
    """The smart albums, then user albums and folders (parents first), then each Shared
    Library, then the shared albums; only those of ``filters.album_kinds`` when given.
    A listing is whole every time: ``since``/``until`` do not apply."""
    kinds = set(filters.album_kinds) or set(ALBUM_KINDS)
    if kinds & {"smart", "user", "folder", "shared_library"}:
        async for item in _library_albums(library, kinds, set_cursor):
            yield item
    if "shared" in kinds:
        async for item in _shared_albums(library):
            yield item


async def _shared_albums(library: PhotosLibrary) -> AsyncIterator[JSONDict]:
    # Without the sharedstreams service the account shares no album (it is optional).
    if library.client.session.service_url(shared_streams.SERVICE):
        for stream in await shared_streams.albums(library.client):
            ref = AlbumRef("private", SHARED_STREAMS, "shared", stream.guid)
            yield await album_item(library.client, ref.to_id(), stream)


async def _library_albums(
    library: PhotosLibrary, kinds: set[str], set_cursor: CursorSink
) -> AsyncIterator[JSONDict]:
    zones = await library.zones()
    tokens = await zone_tokens(library, zones)  # before anything is read
    if len(tokens) == len(zones):
        set_cursor({ZONES_KEY: tokens})
    primary = zones[0]
    await library.check_indexed(primary)
    albums = await album_records(library, primary)
    wanted = [s.count_id for s in SMART_ALBUMS]
    wanted += [f"{ALBUM_COUNT}:{a.record_name}" for a in albums if not a.folder]
    found = await counts(library, primary, wanted)
    for smart in SMART_ALBUMS:
        ref = AlbumRef("private", PRIMARY_ZONE, "smart", smart.name)
        if "smart" in kinds:
            yield _item(ref, smart.name, None, found.get(smart.count_id))
    for album in albums:
        kind: AlbumKind = "folder" if album.folder else "user"
        if kind not in kinds:
            continue
        ref = AlbumRef("private", PRIMARY_ZONE, kind, album.record_name)
        parent = None
        if album.parent is not None:
            parent = AlbumRef("private", PRIMARY_ZONE, "folder", album.parent).to_id()
        count = None if album.folder else found.get(f"{ALBUM_COUNT}:{album.record_name}")
        yield _item(ref, album.name, parent, count, album.created_ms, album.modified_ms)
    for zone in zones[1:] if "shared_library" in kinds else []:
        ref = AlbumRef(zone.scope, zone.name, "shared_library", "")
        shared = await counts(library, zone, [SHARED_LIBRARY_COUNT])
        yield _item(ref, SHARED_LIBRARY_NAME, None, shared.get(SHARED_LIBRARY_COUNT))


async def changes(library: PhotosLibrary, cursor: JSONDict) -> FeedChanges | None:
    """No albums changed when none of the library's zones changed since the cursor's
    tokens: albums, folders and the assets every count is made of are records of those
    zones, and a CloudKit sync token covers every record of its zone. One
    ``changes/zone`` per database says so; None (list every album again) when a zone
    changed, a Shared Library came or went, or Apple gave no new token. Shared albums
    are no zone's records and have no feed: they are listed again and compared with the
    cursor's digests."""
    kept = cursor.get(ZONES_KEY)
    if not isinstance(kept, dict) or not kept:
        return None
    zones = await library.zones()
    if {z.key for z in zones} != set(kept):
        return None
    probe = await zone_changes(library, zones, {str(k): str(v) for k, v in kept.items()})
    if probe.changed or len(probe.tokens) != len(zones):
        return None
    listed = cursor.get(CURSOR_KEY)
    digests = {str(k): str(v) for k, v in listed.items()} if isinstance(listed, dict) else {}
    shared = [item async for item in _shared_albums(library)]
    now = {str(item["id"]) for item in shared}
    gone = [i for i in digests if i not in now and AlbumRef.parse(i).kind == "shared"]
    changed = [item for item in shared if digests.get(str(item["id"])) != digest(item)]
    return FeedChanges(items=changed, removed=gone, cursor={ZONES_KEY: probe.tokens})
