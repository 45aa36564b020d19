"""What the Photos container needs from a library, and the generated implementation.

A library source holds one zone's assets, addressed by index (0 = newest). It answers
named subsets (the smart albums, hidden, user albums) as ``IndexSet``s and builds the
CPLMaster/CPLAsset records of one index at a time; the container layers the
account's edits (deletions) on top.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Protocol

from cloudtap.sandbox.cloudkit import envelope
from cloudtap.sandbox.cloudkit.container import Record, Zone
from cloudtap.sandbox.photos import generator, records
from cloudtap.sandbox.photos.generator import AssetSpec
from cloudtap.sandbox.photos.indexes import IndexSet, ListSet, PeriodicSet
from cloudtap.sandbox.photos.resources import ResourceSpec
from cloudtap.sandbox.photos.urls import ContentRef, download_url

CONTAINER_NAME = "com.apple.photos.cloud"

# Subset names every source answers. Smart albums Apple has but the sandbox never
# fills (panoramas, slo-mo, time-lapse, bursts) are empty sets.
SMART_SUBSETS = ("favorite", "live", "video", "screenshot", "panorama", "slomo", "timelapse")
SUBSETS = ("visible", "hidden", "burst", *SMART_SUBSETS)


@dataclass(frozen=True)
class AlbumSpec:
    record_name: str
    name: str | None  # None for the hidden root folders
    album_type: int  # 0 album, 3 folder, 6 smart
    position: int
    parent_id: str | None = None
    members: IndexSet | None = None
    created_ms: int = generator.NEWEST_MS
    modified_ms: int | None = None  # recordModificationDate; None: as created


class LibrarySource(Protocol):
    zone: Zone
    source_code: str  # "g" | "r": how content URLs of this source are resolved

    def size(self) -> int: ...

    def subset(self, name: str) -> IndexSet: ...

    def master_record(self, index: int, deleted: bool = False) -> Record: ...

    def asset_record(self, index: int, deleted: bool = False) -> Record: ...

    def index_of_name(self, name: str) -> int | None: ...

    def albums(self) -> list[AlbumSpec]: ...

    def expunged_count(self) -> int:
        """Assets that existed and were purged: the change log ends with tombstones."""
        ...

    def expunged_names(self, k: int) -> tuple[str, str]: ...

    def expunged_records(self, k: int) -> tuple[Record, Record]: ...


def album_record(album: AlbumSpec, zone: Zone) -> Record:
    fields: dict[str, object] = {
        "recordModificationDate": envelope.ts_field(album.modified_ms or album.created_ms),
        "sortAscending": envelope.int_field(1),
        "sortType": envelope.int_field(0),
        "albumType": envelope.int_field(album.album_type),
        "position": envelope.int_field(album.position),
        "sortTypeExt": envelope.int_field(0),
    }
    if album.name is not None:
        fields["albumNameEnc"] = envelope.enc_field(base64.b64encode(album.name.encode()).decode())
    if album.parent_id:
        fields["parentId"] = envelope.str_field(album.parent_id)
    rec = envelope.record(
        name=album.record_name,
        record_type="CPLAlbum",
        fields=fields,
        zone=zone,
        created_ms=album.created_ms,
    )
    rec["zoneID"] = envelope.zone_id(zone)
    return rec


class GeneratedSource:
    """A ``GeneratedLibrary`` zone: ``count`` assets from ``seed``, built on demand."""

    source_code = "g"

    def __init__(
        self,
        dsid: str,
        zone: Zone,
        seed: int,
        count: int,
        shared: bool,
        china: bool,
        album_plan: str = "basic",
    ) -> None:
        self.dsid = dsid
        self.zone = zone
        self.seed = seed
        self.count = count
        self.shared = shared
        self.china = china
        visible = generator.VISIBLE_SLOTS
        self._subsets: dict[str, IndexSet] = {
            "visible": self._periodic(visible),
            "hidden": self._periodic(generator.HIDDEN_SLOTS),
            "favorite": self._periodic(generator.FAVORITE_SLOTS),
            "live": self._periodic(generator.kind_slots("live") & visible),
            "video": self._periodic(generator.kind_slots("video") & visible),
            "screenshot": self._periodic(generator.kind_slots("screenshot") & visible),
        }
        self._albums = self._album_tree(album_plan)

    def _album_tree(self, plan: str) -> list[AlbumSpec]:
        """User albums and folders, as ``CPLAlbum`` records hold them (albumType 0/3,
        ``parentId`` for nesting, icloudpd's ``listing_albums.yml``); members rotate with
        the seed like every other index. ``rich`` adds a folder inside a folder, an empty
        album and a unicode name (Apple stores names as UTF-8 in ``albumNameEnc``)."""
        trips = self._album_id("Trips")
        albums = [
            AlbumSpec("----Root-Folder----", None, 3, 0),
            AlbumSpec(self._album_id("Holidays"), "Holidays", 0, 100,
                      members=self._periodic(frozenset({0, 1, 2, 3}))),
            AlbumSpec(self._album_id("Family"), "Family", 0, 200,
                      members=self._periodic(frozenset({5, 9, 12}))),
            AlbumSpec(trips, "Trips", 3, 300),
            AlbumSpec(self._album_id("Paris"), "Paris", 0, 400, parent_id=trips,
                      members=self._periodic(frozenset({6, 7}))),
        ]  # fmt: skip
        if plan == "rich":
            europe = self._album_id("Europe")
            albums += [
                AlbumSpec(europe, "Europe", 3, 500, parent_id=trips),
                AlbumSpec(self._album_id("Rome"), "Rome", 0, 600, parent_id=europe,
                          members=self._periodic(frozenset({2, 3, 8, 16}))),
                # Before the empty one: icloudpy's fixtures name a third top-level album
                # with assets, and the conformance run pairs albums by position.
                AlbumSpec(self._album_id("Unicode"), "Été à Tōkyō 🌸", 0, 700,
                          members=self._periodic(frozenset({11, 13}))),
                AlbumSpec(self._album_id("Empty"), "Empty", 0, 800, members=ListSet(())),
            ]  # fmt: skip
        return albums

    def _periodic(self, slots: frozenset[int]) -> PeriodicSet:
        offsets = generator.slots_where(self.seed, slots)
        return PeriodicSet(offsets, generator.PERIOD, self.count)

    def _album_id(self, label: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cloudtap:{self.seed}:{self.zone.name}:{label}"))

    def size(self) -> int:
        return self.count

    def subset(self, name: str) -> IndexSet:
        return self._subsets.get(name) or ListSet(())

    def spec(self, index: int) -> AssetSpec:
        return generator.asset(self.seed, self.zone.name, index)

    def _url(self, spec: AssetSpec, res: ResourceSpec) -> str:
        ref = ContentRef(self.dsid, self.shared, "g", spec.index, res.code)
        return download_url(ref, self.zone.name, CONTAINER_NAME, self.china, 61)

    def master_record(self, index: int, deleted: bool = False) -> Record:
        return records.master_record(self.spec(index), self.zone, self._url, deleted)

    def asset_record(self, index: int, deleted: bool = False) -> Record:
        return records.asset_record(self.spec(index), self.zone, self._url, deleted)

    def index_of_name(self, name: str) -> int | None:
        index = generator.index_of_name(self.seed, self.zone.name, name)
        return index if index is not None and index < self.count else None

    def albums(self) -> list[AlbumSpec]:
        return self._albums

    def expunged_count(self) -> int:
        return max(1, self.count // 100) if self.count else 0

    def expunged_names(self, k: int) -> tuple[str, str]:
        spec = self.spec(self.count + k)
        return spec.master_name, spec.asset_name

    def expunged_records(self, k: int) -> tuple[Record, Record]:
        return self.master_record(self.count + k), self.asset_record(self.count + k)
