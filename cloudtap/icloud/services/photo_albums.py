"""Albums of an iCloud Photos library: user albums, folders and the smart albums.

- User albums and folders are ``CPLAlbum`` records: ``CPLAlbumByPositionLive`` lists the
  top level, the same query with ``parentId`` a folder's children (walked like pyicloud's
  ``_fetch_album_records``). ``----Root-Folder----`` and other nameless or ``isDeleted``
  records are not albums.
- Smart albums are not records: each is an index of the zone (pyicloud's
  ``PhotoLibrary.SMART_ALBUMS``), counted by ``HyperionIndexCountLookup``.
- An album's assets: ``CPLContainerRelationLiveByAssetDate`` with ``parentId``, paged by
  rank; its count ``CPLContainerRelationNotDeletedByAssetDate:<album>``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from cloudtap.icloud.services.cloudkit import Record, decoded_text, field_value
from cloudtap.icloud.services.photos import AssetRecords, PhotosLibrary, PhotoZone, join_page

ROOT_FOLDER = "----Root-Folder----"
ALBUM_LIST = "CPLAlbumByPositionLive"
ALBUM_ASSETS = "CPLContainerRelationLiveByAssetDate"
ALBUM_COUNT = "CPLContainerRelationNotDeletedByAssetDate"
FOLDER_TYPE = 3
PAGE_ASSETS = 100
# A folder tree deeper than this is not a tree (a parentId cycle): stop walking.
MAX_DEPTH = 32


@dataclass(frozen=True)
class SmartAlbum:
    name: str  # as pyicloud names it
    count_id: str
    list_type: str
    smart_filter: str | None = None
    deleted: bool = False  # its assets are in Recently Deleted
    descending: bool = False  # read from the last rank down, as pyicloud does


# pyicloud 2026.10.1 ``PhotoLibrary.SMART_ALBUMS``, in its order.
SMART_ALBUMS = (
    SmartAlbum("Library", "CPLAssetByAssetDateWithoutHiddenOrDeleted",
               "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted", descending=True),
    SmartAlbum("Time-lapse", "CPLAssetInSmartAlbumByAssetDate:Timelapse",
               "CPLAssetAndMasterInSmartAlbumByAssetDate", "TIMELAPSE"),
    SmartAlbum("Videos", "CPLAssetInSmartAlbumByAssetDate:Video",
               "CPLAssetAndMasterInSmartAlbumByAssetDate", "VIDEO"),
    SmartAlbum("Slo-mo", "CPLAssetInSmartAlbumByAssetDate:Slomo",
               "CPLAssetAndMasterInSmartAlbumByAssetDate", "SLOMO"),
    SmartAlbum("Bursts", "CPLAssetBurstStackAssetByAssetDate",
               "CPLBurstStackAssetAndMasterByAssetDate"),
    SmartAlbum("Favorites", "CPLAssetInSmartAlbumByAssetDate:Favorite",
               "CPLAssetAndMasterInSmartAlbumByAssetDate", "FAVORITE"),
    SmartAlbum("Panoramas", "CPLAssetInSmartAlbumByAssetDate:Panorama",
               "CPLAssetAndMasterInSmartAlbumByAssetDate", "PANORAMA"),
    SmartAlbum("Screenshots", "CPLAssetInSmartAlbumByAssetDate:Screenshot",
               "CPLAssetAndMasterInSmartAlbumByAssetDate", "SCREENSHOT"),
    SmartAlbum("Live", "CPLAssetInSmartAlbumByAssetDate:Live",
               "CPLAssetAndMasterInSmartAlbumByAssetDate", "LIVE"),
    SmartAlbum("Recently Deleted", "CPLAssetDeletedByExpungedDate",
               "CPLAssetAndMasterDeletedByExpungedDate", deleted=True),
    SmartAlbum("Hidden", "CPLAssetHiddenByAssetDate", "CPLAssetAndMasterHiddenByAssetDate"),
)  # fmt: skip
SMART_BY_NAME = {s.name: s for s in SMART_ALBUMS}


@dataclass(frozen=True)
class AlbumRecord:
    """One user album or folder as its CPLAlbum record says."""

    record_name: str
    name: str
    folder: bool
    parent: str | None  # the parent folder's record name; None at the top
    created_ms: int | None
    modified_ms: int | None


def _filter(name: str, value: Any, kind: str = "STRING") -> dict[str, Any]:
    return {"fieldName": name, "comparator": "EQUALS", "fieldValue": {"type": kind, "value": value}}


def _timestamp(record: Record, key: str) -> int | None:
    stamp = record.get(key)
    value = stamp.get("timestamp") if isinstance(stamp, dict) else None
    return value if isinstance(value, int) else None


def album_of(record: Record) -> AlbumRecord | None:
    name = decoded_text(record, "albumNameEnc")
    if not name or field_value(record, "isDeleted") or record.get("recordType") != "CPLAlbum":
        return None
    parent = field_value(record, "parentId")
    modified = field_value(record, "recordModificationDate")
    return AlbumRecord(
        record_name=str(record.get("recordName")),
        name=name,
        folder=field_value(record, "albumType") == FOLDER_TYPE,
        parent=str(parent) if parent and parent != ROOT_FOLDER else None,
        created_ms=_timestamp(record, "created"),
        modified_ms=modified if isinstance(modified, int) else _timestamp(record, "modified"),
    )


async def _query_all(library: PhotosLibrary, zone: PhotoZone, body: dict[str, Any]) -> list[Record]:
    """Every record of a query, following ``continuationMarker`` while it moves on."""
    records: list[Record] = []
    seen: set[str] = set()
    while True:
        reply = await library.database(zone.scope).call("records/query", body)
        records += [r for r in reply.get("records") or [] if isinstance(r, dict)]
        marker = reply.get("continuationMarker")
        if not isinstance(marker, str) or marker in seen:
            return records
        seen.add(marker)
        body = {**body, "continuationMarker": marker}


async def album_records(library: PhotosLibrary, zone: PhotoZone) -> list[AlbumRecord]:
    """Every user album and folder, parents before their children, each once."""
    found: list[AlbumRecord] = []
    known: set[str] = set()
    level: list[str | None] = [None]
    for _ in range(MAX_DEPTH):
        next_level: list[str | None] = []
        for parent in level:
            query: dict[str, Any] = {"recordType": ALBUM_LIST}
            if parent is not None:
                query["filterBy"] = [_filter("parentId", parent)]
            for record in await _query_all(library, zone, {"query": query, "zoneID": zone.zone_id}):
                album = album_of(record)
                if album is None or album.record_name in known:
                    continue
                if parent is not None:  # a child query's answer names its folder
                    album = AlbumRecord(**{**album.__dict__, "parent": parent})
                known.add(album.record_name)
                found.append(album)
                if album.folder:
                    next_level.append(album.record_name)
        if not next_level:
            break
        level = next_level
    return found


async def counts(library: PhotosLibrary, zone: PhotoZone, count_ids: list[str]) -> dict[str, int]:
    """``HyperionIndexCountLookup`` for many indexes in one request; an index Apple does not
    answer for is left out (its count is unknown, not 0)."""
    if not count_ids:
        return {}
    reply = await library.database(zone.scope).call(
        "internal/records/query/batch",
        {
            "batch": [
                {
                    "resultsLimit": len(count_ids),
                    "query": {
                        "recordType": "HyperionIndexCountLookup",
                        "filterBy": {
                            "fieldName": "indexCountID",
                            "comparator": "IN",
                            "fieldValue": {"type": "STRING_LIST", "value": count_ids},
                        },
                    },
                    "zoneWide": True,
                    "zoneID": zone.zone_id,
                }
            ]
        },
    )
    out: dict[str, int] = {}
    for batch in reply.get("batch") or []:
        for record in (batch or {}).get("records") or []:
            value = field_value(record, "itemCount") if isinstance(record, dict) else None
            if isinstance(value, int) and record.get("recordName") in count_ids:
                out[str(record["recordName"])] = value
    return out


async def iter_album_assets(
    library: PhotosLibrary,
    zone: PhotoZone,
    list_type: str,
    extra: list[dict[str, Any]],
    *,
    include_deleted: bool = False,
    descending_from: int | None = None,
) -> AsyncIterator[list[AssetRecords]]:
    """An album's (or smart album's) assets page by page in the index's order: from rank 0
    up, or (``descending_from``: the album's count) from its last rank down, as pyicloud
    reads albums whose order is descending. Stops only at a page with no asset (how many
    records Apple counts per asset is not known, so a short page proves nothing), and
    never asks for the same rank twice."""
    per_asset = 3 if list_type == ALBUM_ASSETS else 2  # relations come with the assets
    descending = descending_from is not None
    rank = (descending_from or 0) - 1 if descending else 0
    while rank >= 0:
        body = {
            "query": {
                "recordType": list_type,
                "filterBy": [
                    _filter("startRank", rank, "INT64"),
                    _filter("direction", "DESCENDING" if descending else "ASCENDING"),
                    *extra,
                ],
            },
            "zoneID": zone.zone_id,
            "resultsLimit": PAGE_ASSETS * per_asset,
        }
        reply = await library.database(zone.scope).call("records/query", body)
        records = [r for r in reply.get("records") or [] if isinstance(r, dict)]
        listed = sum(1 for r in records if r.get("recordType") == "CPLAsset")
        if not listed:
            return
        joined, orphans = join_page(zone, records, include_deleted=include_deleted)
        if orphans:  # keep the album's order: a looked-up master joins in place
            joined += await library.with_masters(zone, orphans)
            order = {str(r.get("recordName")): k for k, r in enumerate(records)}
            joined.sort(key=lambda a: order.get(str(a.asset.get("recordName")), 0))
        yield joined
        rank = rank - listed if descending else rank + listed


def smart_filters(smart: SmartAlbum) -> list[dict[str, Any]]:
    return [_filter("smartAlbum", smart.smart_filter)] if smart.smart_filter else []


def album_filters(record_name: str) -> list[dict[str, Any]]:
    return [_filter("parentId", record_name)]
