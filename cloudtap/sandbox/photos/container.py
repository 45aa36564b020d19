"""The ``com.apple.photos.cloud`` container: iCloud Photos as CloudKit serves it.

Zones: ``PrimarySync`` in the private database and, for accounts with a Shared
Library, ``SharedSync-<uuid>`` listed in the private database too (as a browser capture
shows) and, the same zone, in the shared one (as icloudpd's cassettes address it).
Queries are answered by index (``records/query`` by rank in either direction, counts through
``HyperionIndexCountLookup``, albums, album contents); ``changes/zone`` walks a
deterministic change log (a Shared Library's also holds its owner's
``CPLSharedLibraryQuota`` record); ``records/modify`` can move assets to Recently Deleted
and set or clear ``isFavorite``.
An account with iCloud Photos off has no zones, so every call on them is
``ZONE_NOT_FOUND`` (what clients report as "finish setting up your iCloud service").
"""

from __future__ import annotations

import base64
import binascii
import copy
import uuid
from collections.abc import Hashable, Iterator
from functools import lru_cache
from typing import Any

from cloudtap.sandbox.accounts.model import GeneratedLibrary, ReplayLibrary, SandboxAccount
from cloudtap.sandbox.cloudkit import envelope
from cloudtap.sandbox.cloudkit.container import (
    ChangesPage,
    CloudKitError,
    Database,
    QueryReply,
    Record,
    Zone,
    register_container,
)
from cloudtap.sandbox.cloudkit.context import world_state
from cloudtap.sandbox.cloudkit.tokens import decode_sync_token, encode_sync_token, zone_check
from cloudtap.sandbox.photos.edits import PhotosEdits, ZoneEdits
from cloudtap.sandbox.photos.indexes import ExcludingSet, IndexSet, ListSet
from cloudtap.sandbox.photos.library import (
    CONTAINER_NAME,
    AlbumSpec,
    GeneratedSource,
    LibrarySource,
    album_record,
)

PRIMARY_ZONE = "PrimarySync"

SMART_ALBUM_FILTERS = {
    "FAVORITE": "favorite",
    "LIVE": "live",
    "VIDEO": "video",
    "SCREENSHOT": "screenshot",
    "PANORAMA": "panorama",
    "SLOMO": "slomo",
    "TIMELAPSE": "timelapse",
}
COUNT_SMART = {
    "Favorite": "favorite",
    "Live": "live",
    "Video": "video",
    "Screenshot": "screenshot",
    "Panorama": "panorama",
    "Slomo": "slomo",
    "Timelapse": "timelapse",
}
VISIBLE_LISTS = {
    "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted",
    "CPLAssetAndMasterByAddedDate",
    "CPLAssetAndMasterByAssetDate",
}
ALBUM_LISTS = {"CPLContainerRelationLiveByAssetDate", "CPLContainerRelationLiveByPosition"}
# Largest library whose query answers the sandbox keeps: a 100k listing's pages take
# ~55 MB of the 256 MiB reply cache (cloudkit/replies.py), so 250k fit with room for a
# second client's other ``desiredKeys``; ``photos-1m@`` is built page by page every time.
KEPT_LIBRARY_ASSETS = 250_000


def owner_of(account: SandboxAccount) -> str:
    return owner_of_dsid(account.dsid)


def owner_of_dsid(dsid: str) -> str:
    """The account's CloudKit user record name (a zone's ``ownerRecordName``)."""
    return "_" + uuid.uuid5(uuid.NAMESPACE_OID, f"cloudtap-owner:{dsid}").hex


def shared_zone_name(seed: int) -> str:
    return f"SharedSync-{str(uuid.uuid5(uuid.NAMESPACE_OID, f'cloudtap-shared:{seed}')).upper()}"


@lru_cache(maxsize=256)
def _sources(account: SandboxAccount) -> dict[tuple[Database, str], LibrarySource]:
    """The account's library zones, keyed by (database, zone name)."""
    owner = owner_of(account)
    library = account.photos
    out: dict[tuple[Database, str], LibrarySource] = {}
    if isinstance(library, GeneratedLibrary):
        primary = Zone(PRIMARY_ZONE, owner)
        out[("private", PRIMARY_ZONE)] = GeneratedSource(
            account.dsid,
            primary,
            library.seed,
            library.count,
            False,
            account.china,
            library.album_plan,
        )
        if library.shared_count:
            # The owner sees the Shared Library in the private database (pyicloud's
            # browser fixtures, steilerDev/icloud-photos-sync #598), a participant in the
            # shared one, owned by the owner (icloudpy #115, icloudpd #947). ``shared@``
            # answers in both, from one source (the two capture sets address it so).
            seed = library.shared_library_seed
            zone_owner = owner_of_dsid(library.shared_owner_dsid or account.dsid)
            shared = Zone(shared_zone_name(seed), zone_owner)
            source = GeneratedSource(
                account.dsid, shared, seed, library.shared_count, True, account.china
            )
            if library.shared_role in ("both", "owner"):
                out[("private", shared.name)] = source
            if library.shared_role in ("both", "participant"):
                out[("shared", shared.name)] = source
    elif isinstance(library, ReplayLibrary):
        from cloudtap.sandbox.photos.replay import replay_sources

        out.update(replay_sources(account, owner))
    else:  # photos on, empty library
        out[("private", PRIMARY_ZONE)] = GeneratedSource(
            account.dsid, Zone(PRIMARY_ZONE, owner), 0, 0, False, account.china
        )
    return out


def source_for(account: SandboxAccount, database: Database, zone_name: str) -> LibrarySource:
    source = _sources(account).get((database, zone_name))
    if source is None:
        raise CloudKitError("ZONE_NOT_FOUND", f"Zone '{zone_name}' does not exist", 404)
    return source


def _edits(account: SandboxAccount, zone: Zone) -> ZoneEdits:
    return world_state("photos-edits", PhotosEdits).zone(account.dsid, zone.name)


def _asset(source: LibrarySource, edits: ZoneEdits, index: int) -> Record:
    """The asset as clients left it: deleted, and favourited or not, through records/modify."""
    record = source.asset_record(index, index in edits.deleted)
    if index in edits.favorite:
        record["fields"]["isFavorite"] = envelope.int_field(int(edits.favorite[index]))
        edit = f"{record['recordName']}:favorite:{edits.log.count(index)}"
        record["recordChangeTag"] = envelope.change_tag(edit, record["modified"]["timestamp"])
    return record


def _quota_record(source: LibrarySource) -> Record | None:
    if not isinstance(source, GeneratedSource) or not source.shared or not source.size():
        return None
    return copy.deepcopy(_quota(source))  # a copy: replies are built on it


@lru_cache(maxsize=64)
def _quota(source: GeneratedSource) -> Record:
    """A Shared Library zone's ``CPLSharedLibraryQuota`` record for its owner, as pyicloud's
    browser capture of ``changes/zone`` on a ``SharedSync-`` zone shows one
    (``SharedLibraryQuota-<owner>``, ``contributedQuotaInSharedLibrary``: bytes). The
    account is the sandbox library's only contributor: the sizes of every file of every
    asset in the zone (Recently Deleted ones count until purged), as of the newest one."""
    specs = [source.spec(i) for i in range(source.size())]
    contributed = sum(r.size for spec in specs for r in spec.resources)
    return envelope.record(
        name=f"SharedLibraryQuota-{source.zone.owner}",
        record_type="CPLSharedLibraryQuota",
        fields={"contributedQuotaInSharedLibrary": envelope.int_field(contributed)},
        zone=source.zone,
        created_ms=min(spec.added_date_ms for spec in specs),
        modified_ms=max(spec.added_date_ms for spec in specs),
    )


def _filters(query: dict[str, Any]) -> dict[str, Any]:
    """``filterBy`` (a list, or one filter) as ``{fieldName: value}``."""
    raw = query.get("filterBy")
    items = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else []
    out: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("fieldName"), str):
            raise CloudKitError("BAD_REQUEST", "malformed filterBy")
        value = item.get("fieldValue")
        out[item["fieldName"]] = value.get("value") if isinstance(value, dict) else value
    return out


def _all(subset: IndexSet) -> list[int]:
    return [subset.at(rank) for rank in range(len(subset))]


def _marker(rank: int) -> str:
    return base64.b64encode(f"rank:{rank}".encode()).decode()


def _unmarker(marker: str) -> int | None:
    try:
        text = base64.b64decode(marker, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return int(text[5:]) if text.startswith("rank:") and text[5:].isdigit() else None


class PhotosContainer:
    name = CONTAINER_NAME

    # -- zones -------------------------------------------------------------------------
    def zones(self, account: SandboxAccount, database: Database) -> list[Zone]:
        if not account.photos_enabled:
            return []
        return [s.zone for (db, _), s in _sources(account).items() if db == database]

    def _source(self, account: SandboxAccount, database: Database, zone: Zone) -> LibrarySource:
        return source_for(account, database, zone.name)

    # -- subsets with the account's deletions applied ----------------------------------
    def _subset(self, source: LibrarySource, edits: ZoneEdits, name: str) -> IndexSet:
        if name == "deleted":  # deleted in the source (a replayed capture) or by a client
            return ListSet({*_all(source.subset("deleted")), *edits.deleted})
        base = source.subset(name)
        if name == "favorite" and edits.favorite:
            marked = {i for i, on in edits.favorite.items() if on}
            unmarked = {i for i, on in edits.favorite.items() if not on}
            base = ListSet(sorted(({*_all(base)} | marked) - unmarked))
        return ExcludingSet(base, sorted(edits.deleted)) if edits.deleted else base

    def _album(self, source: LibrarySource, album_id: str) -> AlbumSpec | None:
        """The album whose members a parentId names; None for a folder or an unknown id.

        No capture shows Apple refusing a parentId: a query is a filter on an index, and
        icloudpy's capture answers one on a folder's and on empty albums' ids with
        ``{"records": [], "syncToken": …}``, so the sandbox answers any such id with an
        empty page (and a count of 0), permissively.
        """
        for album in source.albums():
            if album.record_name == album_id and album.members is not None:
                return album
        return None

    def _album_members(
        self, source: LibrarySource, edits: ZoneEdits, album: AlbumSpec | None
    ) -> IndexSet:
        if album is None or album.members is None:
            return ListSet(())
        gone = sorted(edits.deleted)
        return ExcludingSet(album.members, gone) if gone else album.members

    # -- records/query -----------------------------------------------------------------
    def reply_version(
        self, account: SandboxAccount, database: Database, zone: Zone
    ) -> Hashable | None:
        """A zone's query answers change only with its source (immutable) and its edits,
        and every edit (``records/modify``) bumps the edits' version. A library too large
        for the reply cache is not kept: its listing would evict its own pages before a
        second pass asked for them again, holding the cache's whole budget for nothing."""
        source = self._source(account, database, zone)
        if source.size() > KEPT_LIBRARY_ASSETS:
            return None
        return (source, _edits(account, zone).version)

    def query(
        self, account: SandboxAccount, database: Database, zone: Zone, body: dict[str, Any]
    ) -> QueryReply:
        source = self._source(account, database, zone)
        query = body["query"]
        record_type = query["recordType"]
        filters = _filters(query)
        if record_type == "CheckIndexingState":
            return QueryReply([self._indexing_state(zone)])
        if record_type == "HyperionIndexCountLookup":
            return QueryReply(self._counts(account, source, zone, filters))
        if record_type == "CPLAlbumByPositionLive":
            parent = filters.get("parentId")
            albums = [a for a in source.albums() if a.parent_id == parent]
            return QueryReply([album_record(a, zone) for a in albums])
        edits = _edits(account, zone)
        album: AlbumSpec | None = None
        if record_type in VISIBLE_LISTS:
            subset = self._subset(source, edits, "visible")
        elif record_type == "CPLAssetAndMasterInSmartAlbumByAssetDate":
            smart = SMART_ALBUM_FILTERS.get(str(filters.get("smartAlbum", "")).upper())
            if smart is None:
                raise CloudKitError("BAD_REQUEST", "smartAlbum filter is missing or unknown")
            subset = self._subset(source, edits, smart)
        elif record_type == "CPLAssetAndMasterHiddenByAssetDate":
            subset = self._subset(source, edits, "hidden")
        elif record_type == "CPLAssetAndMasterDeletedByExpungedDate":
            subset = self._subset(source, edits, "deleted")
        elif record_type == "CPLBurstStackAssetAndMasterByAssetDate":
            subset = self._subset(source, edits, "burst")
        elif record_type in ALBUM_LISTS:
            album = self._album(source, str(filters.get("parentId", "")))
            subset = self._album_members(source, edits, album)
        else:
            raise CloudKitError("BAD_REQUEST", f"Unknown query type '{record_type}'")
        return self._list(source, edits, zone, subset, album, filters, body)

    def _indexing_state(self, zone: Zone) -> Record:
        fields = {"progress": envelope.int_field(100), "state": envelope.str_field("FINISHED")}
        name = "_" + str(uuid.uuid5(uuid.NAMESPACE_OID, f"indexing:{zone.owner}:{zone.name}"))
        return envelope.record(
            name=name, record_type="CheckIndexingState", fields=fields, zone=zone,
            created_ms=1_700_000_000_000, user="_10", tag="0",
        )  # fmt: skip

    def _counts(
        self, account: SandboxAccount, source: LibrarySource, zone: Zone, filters: dict[str, Any]
    ) -> list[Record]:
        ids = filters.get("indexCountID")
        if isinstance(ids, str):
            ids = [ids]
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise CloudKitError("BAD_REQUEST", "indexCountID must be a STRING_LIST")
        edits = _edits(account, zone)
        out = []
        for count_id in ids:
            count = len(self._count_subset(source, edits, count_id))
            out.append(
                envelope.record(
                    name=count_id,
                    record_type="IndexCountResult",
                    fields={"itemCount": envelope.int_field(count)},
                    zone=zone,
                    created_ms=1_700_000_000_000,
                    user="_10",
                    tag="0",
                )
            )
        return out

    def _count_subset(self, source: LibrarySource, edits: ZoneEdits, count_id: str) -> IndexSet:
        head, _, arg = count_id.partition(":")
        if head in ("CPLAssetByAssetDateWithoutHiddenOrDeleted", "CPLAssetByAddedDate"):
            return self._subset(source, edits, "visible")
        if head == "CPLAssetInSmartAlbumByAssetDate" and arg in COUNT_SMART:
            return self._subset(source, edits, COUNT_SMART[arg])
        if head == "CPLAssetHiddenByAssetDate":
            return self._subset(source, edits, "hidden")
        if head == "CPLAssetDeletedByExpungedDate":
            return self._subset(source, edits, "deleted")
        if head == "CPLAssetBurstStackAssetByAssetDate":
            return self._subset(source, edits, "burst")
        if head == "CPLContainerRelationNotDeletedByAssetDate":
            return self._album_members(source, edits, self._album(source, arg))
        return ListSet(())

    def _list(
        self,
        source: LibrarySource,
        edits: ZoneEdits,
        zone: Zone,
        subset: IndexSet,
        album: AlbumSpec | None,
        filters: dict[str, Any],
        body: dict[str, Any],
    ) -> QueryReply:
        name = filters.get("recordName")
        if isinstance(name, str):  # one asset, by name, within this index
            index = source.index_of_name(name)
            found = None if index is None else subset.rank_of(index)
            picked = [] if found is None else [subset.at(found)]
            return QueryReply(self._page_records(source, edits, zone, picked, album))
        limit = body.get("resultsLimit")
        if not isinstance(limit, int) or limit <= 0:
            limit = 200
        per_asset = 3 if album else 2
        n = max(1, limit // per_asset)
        start = filters.get("startRank", 0)
        marker = body.get("continuationMarker")
        resumed = _unmarker(marker) if isinstance(marker, str) else None
        if resumed is not None:
            start = resumed
        if not isinstance(start, int) or start < 0:
            raise CloudKitError("BAD_REQUEST", "startRank must be a non-negative INT64")
        direction = str(filters.get("direction", "ASCENDING")).upper()
        total = len(subset)
        if direction == "DESCENDING":
            first = min(start, total - 1)
            ranks = list(range(first, max(first - n, -1), -1))
            next_rank = first - n if first - n >= 0 else None
        elif direction == "ASCENDING":
            ranks = list(range(start, min(start + n, total)))
            next_rank = start + n if start + n < total else None
        else:
            raise CloudKitError("BAD_REQUEST", f"Unknown direction '{direction}'")
        picked = [subset.at(r) for r in ranks]
        marker_out = _marker(next_rank) if next_rank is not None else None
        return QueryReply(self._page_records(source, edits, zone, picked, album), marker_out)

    def _page_records(
        self,
        source: LibrarySource,
        edits: ZoneEdits,
        zone: Zone,
        indices: list[int],
        album: AlbumSpec | None,
    ) -> list[Record]:
        # Like Apple: the page's masters first, then its assets (relations before both).
        masters = [source.master_record(i, i in edits.deleted) for i in indices]
        assets = [_asset(source, edits, i) for i in indices]
        if album is None:
            return masters + assets
        relations = [self._relation(album, a, zone, k) for k, a in enumerate(assets)]
        return relations + masters + assets

    def _relation(self, album: AlbumSpec, asset: Record, zone: Zone, position: int) -> Record:
        fields = {
            "itemId": envelope.str_field(asset["recordName"]),
            "containerId": envelope.str_field(album.record_name),
            "position": envelope.int_field(position * 1024),
            "isKeyAsset": envelope.int_field(int(position == 0)),
        }
        return envelope.record(
            name=f"{asset['recordName']}-IN-{album.record_name}",
            record_type="CPLContainerRelation",
            fields=fields,
            zone=zone,
            created_ms=asset["created"]["timestamp"],
        )

    # -- changes/zone: a deterministic log ---------------------------------------------
    # [created records of purged assets] [every asset, oldest first: master, asset]
    # [a Shared Library's quota record] [tombstones of the purged records]
    # [assets edited through records/modify]
    def _log_length(self, source: LibrarySource, edits: ZoneEdits) -> int:
        quota = int(_quota_record(source) is not None)
        return 4 * source.expunged_count() + 2 * source.size() + quota + len(edits.log)

    def _log_entry(self, source: LibrarySource, edits: ZoneEdits, zone: Zone, e: int) -> Record:
        purged, n = source.expunged_count(), source.size()
        if e < 2 * purged:
            return source.expunged_records(e // 2)[e % 2]
        e -= 2 * purged
        if e < 2 * n:
            index = n - 1 - e // 2
            if e % 2 == 0:
                return source.master_record(index, index in edits.deleted)
            return _asset(source, edits, index)
        e -= 2 * n
        quota = _quota_record(source)
        if quota is not None:
            if e == 0:
                return quota
            e -= 1
        if e < 2 * purged:
            return envelope.tombstone(source.expunged_names(e // 2)[e % 2], zone)
        index = edits.log[e - 2 * purged]
        return _asset(source, edits, index)

    def _check(self, account: SandboxAccount, database: Database, zone: Zone) -> bytes:
        return zone_check(account.dsid, CONTAINER_NAME, database, zone.name)

    def sync_token(self, account: SandboxAccount, database: Database, zone: Zone) -> str:
        source = self._source(account, database, zone)
        position = self._log_length(source, _edits(account, zone))
        return encode_sync_token(position, self._check(account, database, zone))

    def changes(
        self,
        account: SandboxAccount,
        database: Database,
        zone: Zone,
        sync_token: str | None,
        limit: int,
        record_types: list[str] | None,
    ) -> ChangesPage:
        source = self._source(account, database, zone)
        edits = _edits(account, zone)
        check = self._check(account, database, zone)
        start = 0 if sync_token is None else decode_sync_token(sync_token, check)
        end = min(start + limit, self._log_length(source, edits))
        page = [self._log_entry(source, edits, zone, e) for e in range(start, end)]
        if record_types:
            wanted = set(record_types)
            page = [r for r in page if r.get("deleted") is True or r.get("recordType") in wanted]
        more = end < self._log_length(source, edits)
        return ChangesPage(page, encode_sync_token(max(end, start), check), more)

    # -- records/lookup ----------------------------------------------------------------
    def lookup(
        self, account: SandboxAccount, database: Database, zone: Zone, names: list[str]
    ) -> Iterator[Record]:
        source = self._source(account, database, zone)
        edits = _edits(account, zone)
        albums = {a.record_name: a for a in source.albums()}
        for name in names:
            if name in albums:
                yield album_record(albums[name], zone)
                continue
            index = source.index_of_name(name)
            if index is None:
                continue
            master = source.master_record(index, index in edits.deleted)
            if master["recordName"] == name:
                yield master
            else:
                yield _asset(source, edits, index)

    # -- records/modify ----------------------------------------------------------------
    def modify(
        self,
        account: SandboxAccount,
        database: Database,
        zone: Zone,
        operations: list[Any],
    ) -> list[Record]:
        source = self._source(account, database, zone)
        state = world_state("photos-edits", PhotosEdits)
        out: list[Record] = []
        for op in operations:
            rec = op.get("record") if isinstance(op, dict) else None
            if not isinstance(rec, dict) or not isinstance(rec.get("recordName"), str):
                raise CloudKitError(
                    "BAD_REQUEST", "each operation needs a record with a recordName"
                )
            name = rec["recordName"]
            index = source.index_of_name(name)
            raw_fields = rec.get("fields")
            fields: dict[str, Any] = raw_fields if isinstance(raw_fields, dict) else {}
            if index is None or rec.get("recordType", "CPLAsset") != "CPLAsset":
                out.append(envelope.record_error(name, "NOT_FOUND", "Record not found"))
                continue
            if op.get("operationType") not in ("update", "forceUpdate", "replace", "forceReplace"):
                out.append(
                    envelope.record_error(
                        name, "BAD_REQUEST", "the sandbox only supports updating CPLAsset records"
                    )
                )
                continue
            edits = _edits(account, zone)
            current = _asset(source, edits, index)
            tag = rec.get("recordChangeTag")
            if op.get("operationType") == "update" and tag and tag != current["recordChangeTag"]:
                out.append(envelope.record_error(name, "CONFLICT", "record was modified"))
                continue
            values = {
                key: flag.get("value") if isinstance(flag, dict) else None
                for key, flag in fields.items()
            }
            if (
                not values
                or set(values) - {"isDeleted", "isFavorite"}
                or any(v not in (0, 1, True, False) for v in values.values())
            ):
                out.append(
                    envelope.record_error(
                        name,
                        "BAD_REQUEST",
                        "the sandbox only supports setting isDeleted and isFavorite",
                    )
                )
                continue
            if "isDeleted" in values:
                state.set_deleted(account.dsid, zone.name, index, bool(values["isDeleted"]))
            if "isFavorite" in values:
                state.set_favorite(account.dsid, zone.name, index, bool(values["isFavorite"]))
            out.append(_asset(source, edits, index))
        return out


register_container(PhotosContainer())
