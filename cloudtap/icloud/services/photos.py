"""iCloud Photos over CloudKit (container ``com.apple.photos.cloud``).

- Zones: ``PrimarySync`` in the private database, a Shared Library ``SharedSync-<uuid>``
  in the shared database.
- Gate: the ``CheckIndexingState`` record must say ``FINISHED``.
- Count: a ``HyperionIndexCountLookup`` batch query.
- Listing: ``CPLAssetAndMasterByAddedDate`` pages by rank (assets join their masters on
  ``masterRef``); once the count is known the pages are fetched concurrently and yielded
  in order.
- Incremental: ``changes/zone`` with the zone sync token kept from the previous listing.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.services.cloudkit import CloudKitDatabase, Record, Scope, field_value

CONTAINER = "com.apple.photos.cloud"
PRIMARY_ZONE = "PrimarySync"
SHARED_ZONE_PREFIX = "SharedSync-"
LIST_INDEX = "CPLAssetAndMasterByAddedDate"
COUNT_INDEX = "CPLAssetByAddedDate"
PAGE_ASSETS = 100  # each page holds assets and their masters: resultsLimit = 2 * this
PAGE_CONCURRENCY = 4

Direction = Literal["ASCENDING", "DESCENDING"]

RESOURCE_PREFIXES = (
    "resOriginal",
    "resOriginalAlt",
    "resOriginalVidCompl",
    "resJPEGFull",
    "resJPEGLarge",
    "resJPEGMed",
    "resJPEGThumb",
    "resVidFull",
    "resVidMed",
    "resVidSmall",
    "resSidecar",
)
_RESOURCE_KEYS = [
    f"{p}{s}"
    for p in RESOURCE_PREFIXES
    for s in ("Res", "FileType", "Width", "Height", "Fingerprint")
]
DESIRED_KEYS = [
    *_RESOURCE_KEYS,
    "itemType",
    "filenameEnc",
    "masterRef",
    "assetDate",
    "addedDate",
    "isDeleted",
    "isHidden",
    "isFavorite",
    "timeZoneOffset",
    "adjustmentRenderType",
    "recordName",
    "recordType",
    "recordChangeTag",
]


@dataclass(frozen=True)
class PhotoZone:
    scope: Scope
    zone_id: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.zone_id.get("zoneName", ""))

    @property
    def key(self) -> str:
        return f"{self.scope}/{self.name}"


@dataclass(frozen=True)
class AssetRecords:
    """One photo or video: its CPLAsset, its CPLMaster and the zone they live in."""

    zone: PhotoZone
    asset: Record
    master: Record


def _zone_id(zone: dict[str, Any]) -> dict[str, Any]:
    inner = zone.get("zoneID")
    zid: dict[str, Any] = inner if isinstance(inner, dict) else zone
    return {k: v for k, v in zid.items() if k in ("zoneName", "ownerRecordName", "zoneType")}


def join_page(
    zone: PhotoZone, records: Iterable[Record]
) -> tuple[list[AssetRecords], list[Record]]:
    """Pair each live CPLAsset with its CPLMaster; also return assets whose master is absent."""
    masters: dict[str, Record] = {}
    assets: list[Record] = []
    for record in records:
        if not isinstance(record, dict) or record.get("deleted"):
            continue
        if record.get("recordType") == "CPLMaster":
            masters[str(record.get("recordName"))] = record
        elif record.get("recordType") == "CPLAsset":
            assets.append(record)
    joined: list[AssetRecords] = []
    orphans: list[Record] = []
    for asset in assets:
        if field_value(asset, "isDeleted"):
            continue  # hidden assets are still the account's data; deleted ones are not
        master = masters.get(master_name(asset) or "")
        if master is None:
            orphans.append(asset)
        else:
            joined.append(AssetRecords(zone, asset, master))
    return joined, orphans


def master_name(asset: Record) -> str | None:
    ref = field_value(asset, "masterRef")
    return str(ref["recordName"]) if isinstance(ref, dict) and ref.get("recordName") else None


class PhotosLibrary:
    def __init__(self, client: AppleClient, *, concurrency: int = PAGE_CONCURRENCY) -> None:
        self.client = client
        self.concurrency = concurrency

    def database(self, scope: Scope) -> CloudKitDatabase:
        return CloudKitDatabase(self.client, CONTAINER, scope)

    async def zones(self, *, assume_primary: bool = False) -> list[PhotoZone]:
        """The library's zones: PrimarySync, then any Shared Library zone."""
        if assume_primary:
            found = [PhotoZone("private", {"zoneName": PRIMARY_ZONE})]
        else:
            private = await self.database("private").zones()
            found = [
                PhotoZone("private", _zone_id(z))
                for z in private
                if _zone_id(z).get("zoneName") == PRIMARY_ZONE
            ]
            if not found:
                raise errors.IcplDisabled("iCloud Photos is not set up for this account")
        try:
            shared = await self.database("shared").zones()
        except (errors.ServiceDisabled, errors.AppleUnavailable):
            shared = []  # no Shared Library is not an error
        found += [
            PhotoZone("shared", _zone_id(z))
            for z in shared
            if str(_zone_id(z).get("zoneName", "")).startswith(SHARED_ZONE_PREFIX)
        ]
        return found

    async def check_indexed(self, zone: PhotoZone) -> str | None:
        """Raise unless the zone is indexed; returns the zone's current sync token."""
        try:
            reply = await self.database(zone.scope).query("CheckIndexingState", zone.zone_id)
        except errors.ServiceDisabled as exc:
            if zone.scope == "private":
                raise errors.IcplDisabled("iCloud Photos is not set up for this account") from exc
            raise
        records = reply.get("records") or []
        state = field_value(records[0], "state") if records else None
        if state != "FINISHED":
            raise errors.PhotosIndexing("iCloud is still indexing this photo library")
        token = reply.get("syncToken")
        return str(token) if token else None

    async def count(self, zone: PhotoZone) -> tuple[int, str | None]:
        """The number of assets in the zone, and the zone's current sync token."""
        reply = await self.database(zone.scope).call(
            "internal/records/query/batch",
            {
                "batch": [
                    {
                        "resultsLimit": 1,
                        "query": {
                            "recordType": "HyperionIndexCountLookup",
                            "filterBy": {
                                "fieldName": "indexCountID",
                                "comparator": "IN",
                                "fieldValue": {"type": "STRING_LIST", "value": [COUNT_INDEX]},
                            },
                        },
                        "zoneWide": True,
                        "zoneID": zone.zone_id,
                    }
                ]
            },
        )
        try:
            batch = reply["batch"][0]
            token = batch.get("syncToken") or reply.get("syncToken")
            return int(field_value(batch["records"][0], "itemCount") or 0), token
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            return 0, None

    async def page(
        self, zone: PhotoZone, start_rank: int, direction: Direction
    ) -> list[AssetRecords]:
        reply = await self.database(zone.scope).query(
            LIST_INDEX,
            zone.zone_id,
            filters=[
                {
                    "fieldName": "startRank",
                    "comparator": "EQUALS",
                    "fieldValue": {"type": "INT64", "value": start_rank},
                },
                {
                    "fieldName": "direction",
                    "comparator": "EQUALS",
                    "fieldValue": {"type": "STRING", "value": direction},
                },
            ],
            results_limit=PAGE_ASSETS * 2,
            desired_keys=DESIRED_KEYS,
        )
        joined, orphans = join_page(zone, reply.get("records") or [])
        if orphans:
            joined += await self._with_masters(zone, orphans)
        return joined

    async def _with_masters(self, zone: PhotoZone, assets: list[Record]) -> list[AssetRecords]:
        names = sorted({n for n in map(master_name, assets) if n})
        masters = {
            str(m.get("recordName")): m
            for m in await self.database(zone.scope).lookup(zone.zone_id, names)
            if m.get("recordType") == "CPLMaster"
        }
        return [
            AssetRecords(zone, a, masters[master_name(a) or ""])
            for a in assets
            if (master_name(a) or "") in masters
        ]

    async def iter_assets(
        self, zone: PhotoZone, total: int, direction: Direction = "ASCENDING"
    ) -> AsyncGenerator[list[AssetRecords], None]:
        """Every page of the zone, in rank order, fetched ``concurrency`` pages at a time."""

        def fetch(rank: int) -> Coroutine[Any, Any, list[AssetRecords]]:
            return self.page(zone, rank, direction)

        last_full = False
        async for page in ordered_concurrently(_ranks(total, direction), fetch, self.concurrency):
            last_full = len(page) >= PAGE_ASSETS
            yield page
        # The count can lag behind uploads made while we listed: read on past it.
        rank = total
        while direction == "ASCENDING" and last_full:
            page = await self.page(zone, rank, direction)
            if not page:
                break
            last_full = len(page) >= PAGE_ASSETS
            rank += PAGE_ASSETS
            yield page

    async def iter_newest(
        self, zone: PhotoZone, total: int
    ) -> AsyncGenerator[list[AssetRecords], None]:
        """Pages newest first, one at a time: the caller stops as soon as it has enough."""
        for rank in _ranks(total, "DESCENDING"):
            yield await self.page(zone, rank, "DESCENDING")

    async def changes(
        self, scope: Scope, tokens: dict[str, str]
    ) -> tuple[list[AssetRecords], dict[str, str]]:
        """Assets changed since ``tokens`` (zone key -> sync token) in one database."""
        zones = [
            PhotoZone(scope, {"zoneName": key.split("/", 1)[1]})
            for key in tokens
            if key.startswith(f"{scope}/")
        ]
        if not zones:
            return [], {}
        changed: list[AssetRecords] = []
        new_tokens = {z.key: tokens[z.key] for z in zones}
        pending = list(zones)
        while pending:
            reply = await self.database(scope).call(
                "changes/zone",
                {
                    "zones": [
                        {"zoneID": z.zone_id, "syncToken": new_tokens[z.key], "reverse": False}
                        for z in pending
                    ]
                },
            )
            more: list[PhotoZone] = []
            for entry in reply.get("zones") or []:
                if not isinstance(entry, dict):
                    continue
                zone = PhotoZone(scope, _zone_id(entry))
                if zone.key not in new_tokens:
                    continue
                if entry.get("syncToken"):
                    new_tokens[zone.key] = str(entry["syncToken"])
                joined, orphans = join_page(zone, entry.get("records") or [])
                changed += joined
                if orphans:
                    changed += await self._with_masters(zone, orphans)
                if entry.get("moreComing"):
                    more.append(zone)
            pending = more
        return changed, new_tokens

    async def lookup(self, zone: PhotoZone, record_name: str) -> Record:
        records = await self.database(zone.scope).lookup(zone.zone_id, [record_name])
        for record in records:
            if record.get("recordName") == record_name and record.get("fields"):
                return record
        raise errors.NotFound("that photo is no longer in the library")


def _ranks(total: int, direction: Direction) -> Iterator[int]:
    if direction == "ASCENDING":
        return iter(range(0, total, PAGE_ASSETS))
    return iter(range(total - 1, -1, -PAGE_ASSETS))


T = TypeVar("T")


async def ordered_concurrently(
    keys: Iterator[int],
    fetch: Callable[[int], Coroutine[Any, Any, T]],
    concurrency: int,
) -> AsyncIterator[T]:
    """Run ``fetch`` over ``keys`` with at most ``concurrency`` in flight; yield in order."""
    inflight: deque[asyncio.Task[T]] = deque()
    try:
        for first in keys:
            inflight.append(asyncio.ensure_future(fetch(first)))
            if len(inflight) >= concurrency:
                break
        while inflight:
            result = await inflight.popleft()
            following = next(keys, None)
            if following is not None:
                inflight.append(asyncio.ensure_future(fetch(following)))
            yield result
    finally:
        for task in inflight:
            task.cancel()
        if inflight:
            await asyncio.gather(*inflight, return_exceptions=True)
