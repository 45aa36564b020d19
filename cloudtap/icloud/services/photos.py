"""iCloud Photos over CloudKit (container ``com.apple.photos.cloud``).

- Zones: ``PrimarySync`` in the private database; a Shared Library ``SharedSync-<uuid>``
  in the private database's zone list (where a browser capture puts it) or, tolerated,
  in the shared database's. Each zone of ``zones/list`` carries its sync token.
- Gate: the ``CheckIndexingState`` record must say ``FINISHED``.
- Count: a ``HyperionIndexCountLookup`` batch query.
- Listing: ``CPLAssetAndMasterByAddedDate`` pages by rank (assets join their masters on
  ``masterRef``); once the count is known the pages are fetched concurrently and yielded
  in order. Captures show rank 0 as the newest upload; the newest-first walk of an
  incremental poll does not rely on it but reads which end is newest from the dates.
- Incremental: ``changes/zone`` with the zone sync token kept from the previous listing.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass, field
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
# What an item needs of each resource (no ``Fingerprint``: nothing reads it, and every
# key asked for is parsed on every page).
_RESOURCE_KEYS = [
    f"{p}{s}" for p in RESOURCE_PREFIXES for s in ("Res", "FileType", "Width", "Height")
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
    sync_token: str | None = field(default=None, compare=False)

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


def _photo_zone(scope: Scope, zone: dict[str, Any]) -> PhotoZone:
    token = zone.get("syncToken")
    return PhotoZone(scope, _zone_id(zone), str(token) if token else None)


def join_page(
    zone: PhotoZone, records: Iterable[Record], *, include_deleted: bool = False
) -> tuple[list[AssetRecords], list[Record]]:
    """Pair each live CPLAsset with its CPLMaster; also return assets whose master is absent.
    ``include_deleted``: keep assets in Recently Deleted too (that album's own listing)."""
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
        if field_value(asset, "isDeleted") and not include_deleted:
            continue  # hidden assets are still the account's data; deleted ones are not
        master = masters.get(master_name(asset) or "")
        if master is None:
            orphans.append(asset)
        else:
            joined.append(AssetRecords(zone, asset, master))
    return joined, orphans


def deleted_assets(records: Iterable[Record]) -> list[str]:
    """Record names of the assets a ``changes/zone`` page reports gone: tombstones
    (``{"recordName", "deleted": true}``; a master's are skipped) and CPLAssets moved to
    Recently Deleted (``isDeleted`` 1, icloudpd's autodelete captures)."""
    names: list[str] = []
    for record in records:
        if not isinstance(record, dict) or record.get("recordType") == "CPLMaster":
            continue
        binned = record.get("recordType") == "CPLAsset" and field_value(record, "isDeleted")
        if record.get("deleted") is True or binned:
            names.append(str(record.get("recordName")))
    return names


def master_name(asset: Record) -> str | None:
    ref = field_value(asset, "masterRef")
    return str(ref["recordName"]) if isinstance(ref, dict) and ref.get("recordName") else None


class PhotosLibrary:
    def __init__(self, client: AppleClient, *, concurrency: int = PAGE_CONCURRENCY) -> None:
        self.client = client
        self.concurrency = concurrency
        # The shared database's zone list failed (the listing went on without it).
        self.shared_list_failed: errors.ICloudError | None = None

    def database(self, scope: Scope) -> CloudKitDatabase:
        return CloudKitDatabase(self.client, CONTAINER, scope)

    async def zones(self) -> list[PhotoZone]:
        """The library's zones: PrimarySync, then any Shared Library zone.

        A Shared Library is looked for in the private database's zone list (where a
        browser capture shows it) and in the shared database's (tolerated: an older
        layout), each zone once.
        """
        # Both lists are asked for at once (one round trip, not two); the private one's
        # verdict comes first, as if it had been read alone.
        listed = await asyncio.gather(
            self.database("private").zones(),
            self.database("shared").zones(),
            return_exceptions=True,
        )
        private_raw: list[dict[str, Any]] | BaseException = listed[0]
        shared_raw: list[dict[str, Any]] | BaseException = listed[1]
        if isinstance(private_raw, BaseException):
            raise private_raw
        private = [_photo_zone("private", z) for z in private_raw]
        found = [z for z in private if z.name == PRIMARY_ZONE]
        if not found:
            raise errors.IcplDisabled("iCloud Photos is not set up for this account")
        found += [z for z in private if z.name.startswith(SHARED_ZONE_PREFIX)]
        shared: list[dict[str, Any]] = []
        if isinstance(
            shared_raw, (errors.ServiceDisabled, errors.AppleUnavailable, errors.NotFound)
        ):
            pass  # no Shared Library is not an error
        elif isinstance(shared_raw, errors.AdpEnabled | errors.SessionExpired):
            raise shared_raw  # the account's verdict, not the shared list's
        elif isinstance(shared_raw, errors.ICloudError):
            # pyicloud goes on without the shared database's zones on any error; so does
            # cloudtap, but says so (the listing's ``warnings``), never silently.
            self.shared_list_failed = shared_raw
        elif isinstance(shared_raw, BaseException):
            raise shared_raw
        else:
            shared = shared_raw
        names = {z.name for z in found}
        for raw in shared:
            zone = _photo_zone("shared", raw)
            if zone.name.startswith(SHARED_ZONE_PREFIX) and zone.name not in names:
                names.add(zone.name)
                found.append(zone)
        return found

    async def zones_counted(self) -> tuple[list[PhotoZone], tuple[int, str | None]]:
        """``zones()`` and the ``checked_count`` of PrimarySync in one round trip: the zone
        is asked for by name (as pyicloud does) while the lists are read. The lists'
        verdict comes first (the count is then dropped), as if they had been read alone."""
        primary = PhotoZone("private", {"zoneName": PRIMARY_ZONE})
        counting = asyncio.ensure_future(self.checked_count(primary))
        try:
            zones = await self.zones()
        except BaseException:
            counting.cancel()
            await asyncio.gather(counting, return_exceptions=True)
            raise
        return zones, await counting

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

    async def checked_count(self, zone: PhotoZone) -> tuple[int, str | None]:
        """``check_indexed`` and ``count`` in one round trip: the zone's asset count and
        sync token (the indexing check's, else the count's). The check's verdict comes
        first (not set up, still indexing), as if it had been asked alone."""
        replies = await asyncio.gather(
            self.check_indexed(zone), self.count(zone), return_exceptions=True
        )
        checked: str | BaseException | None = replies[0]
        counted: tuple[int, str | None] | BaseException = replies[1]
        if isinstance(checked, BaseException):
            raise checked
        if isinstance(counted, BaseException):
            raise counted
        total, count_token = counted
        return total, checked or count_token

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
        records = reply.get("records") or []
        joined, orphans = join_page(zone, records)
        if not orphans:
            return joined
        joined += await self.with_masters(zone, orphans)
        # Keep the index's order: it tells which end of the index is the newest.
        position = {str(r.get("recordName")): k for k, r in enumerate(records)}
        return sorted(joined, key=lambda a: position.get(str(a.asset.get("recordName")), 0))

    async def with_masters(self, zone: PhotoZone, assets: list[Record]) -> list[AssetRecords]:
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

    async def iter_newest(self, zone: PhotoZone) -> AsyncGenerator[list[AssetRecords], None]:
        """Pages newest first, each sorted newest first; the caller stops when it has enough.

        Which end of the index holds the newest asset is read from the dates, not
        assumed: the first page's order, or else the two ends compared.
        """
        head = await self.page(zone, 0, "ASCENDING")
        order = added_order(head)
        if order is None and len(head) < PAGE_ASSETS:
            yield newest_first(head)  # the whole zone fits in one page
            return
        total: int | None = None
        if order is None:
            total, _ = await self.count(zone)
            tail = await self.page(zone, max(total - 1, 0), "DESCENDING")
            order = "newest-first" if _newest(head) >= _newest(tail) else "oldest-first"
        if order == "newest-first":
            rank, page = 0, head
            while page:
                yield newest_first(page)
                rank += PAGE_ASSETS
                page = await self.page(zone, rank, "ASCENDING")
            return
        if total is None:
            total, _ = await self.count(zone)
        for rank in _ranks(total, "DESCENDING"):
            yield newest_first(await self.page(zone, rank, "DESCENDING"))

    async def changes(
        self,
        scope: Scope,
        tokens: dict[str, str],
        gone: list[tuple[PhotoZone, str]] | None = None,
    ) -> tuple[list[AssetRecords], dict[str, str]]:
        """Assets changed since ``tokens`` (zone key -> sync token) in one database; the
        (zone, asset record name) of those deleted meanwhile are added to ``gone``."""
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
                if gone is not None:
                    gone += [(zone, name) for name in deleted_assets(entry.get("records") or [])]
                joined, orphans = join_page(zone, entry.get("records") or [])
                changed += joined
                if orphans:
                    changed += await self.with_masters(zone, orphans)
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


Order = Literal["newest-first", "oldest-first"]


def added_ms(assets: AssetRecords) -> int | None:
    try:
        return int(field_value(assets.asset, "addedDate"))
    except (TypeError, ValueError):
        return None


def added_order(page: list[AssetRecords]) -> Order | None:
    """Whether a page in index order runs newest or oldest first (None: can't tell)."""
    moments = [m for m in map(added_ms, page) if m is not None]
    if len(moments) < 2 or moments[0] == moments[-1]:
        return None
    return "newest-first" if moments[0] > moments[-1] else "oldest-first"


def newest_first(page: list[AssetRecords]) -> list[AssetRecords]:
    return sorted(page, key=lambda a: added_ms(a) or 0, reverse=True)


def _newest(page: list[AssetRecords]) -> int:
    return max((m for m in map(added_ms, page) if m is not None), default=0)


def _ranks(total: int, direction: Direction) -> Iterator[int]:
    if direction == "ASCENDING":
        return iter(range(0, total, PAGE_ASSETS))
    return iter(range(total - 1, -1, -PAGE_ASSETS))


T = TypeVar("T")


async def ordered_concurrently(
    keys: Iterator[int],
    fetch: Callable[[int], Coroutine[Any, Any, T]],
    concurrency: int,
    ahead: int | None = None,
) -> AsyncGenerator[T, None]:
    """Run ``fetch`` over ``keys`` with at most ``concurrency`` in flight; yield in order.

    A slot is refilled as soon as its fetch finishes, not when its result is taken: a
    page that is slow to arrive, or the caller's work on the previous one, does not
    leave the other slots idle. At most ``ahead`` (default ``concurrency`` + 2)
    started or finished results wait to be taken, which bounds the memory they hold.
    Once a fetch fails nothing more is started; the failure is raised in its turn.
    """
    window = max(ahead or concurrency + 2, concurrency, 1)
    started: deque[asyncio.Task[T]] = deque()
    left = iter(keys)
    running = 0
    closing = exhausted = False

    def refill(finished: asyncio.Task[T] | None = None) -> None:
        nonlocal running, exhausted, closing
        if finished is not None:
            running -= 1
            if not finished.cancelled() and finished.exception() is not None:
                closing = True  # e.g. throttled: ask no more; the caller will see why
        while not (closing or exhausted) and running < concurrency and len(started) < window:
            key = next(left, None)
            if key is None:
                exhausted = True
                return
            task = asyncio.ensure_future(fetch(key))
            running += 1
            task.add_done_callback(refill)
            started.append(task)

    try:
        refill()
        while started:
            result = await started[0]  # counted in the window until taken
            started.popleft()
            refill()
            yield result
    finally:
        closing = True
        for task in started:
            task.cancel()
        if started:
            await asyncio.gather(*started, return_exceptions=True)
