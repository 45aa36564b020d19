"""An in-process Photos container for ``PhotosLibrary``: zones, counts and rank paging.

It stands in for Apple (or the sandbox) where a test needs a convention the sandbox
does not have, such as ranks that run oldest first; everything above ``call`` (the
CloudKit client's requests, the library's joins and walks) is the real code.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, cast

from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.services.cloudkit import CloudKitDatabase, Scope
from cloudtap.icloud.services.photos import CONTAINER, PRIMARY_ZONE, PhotosLibrary

DAY_MS = 86_400_000
NEWEST_MS = 1_780_000_000_000


@dataclass(frozen=True)
class FakeAsset:
    """One asset of the fake world: the values a published item must carry."""

    number: int

    @property
    def name(self) -> str:
        return f"ASSET-{self.number:05d}"

    @property
    def master(self) -> str:
        return f"MASTER-{self.number:05d}"

    @property
    def filename(self) -> str:
        return f"IMG_{self.number:05d}.JPG"

    @property
    def added_ms(self) -> int:
        return NEWEST_MS - self.number * DAY_MS  # number 0 is the newest upload


def fake_assets(count: int) -> list[FakeAsset]:
    return [FakeAsset(n) for n in range(count)]


def _zone(name: str) -> dict[str, Any]:
    return {"zoneName": name, "ownerRecordName": "_owner", "zoneType": "REGULAR_CUSTOM_ZONE"}


class FakeCloudKit(CloudKitDatabase):
    """One database; ``rank0_newest`` says which end of the listing index rank 0 is."""

    def __init__(
        self,
        scope: Scope,
        assets: list[FakeAsset],
        *,
        rank0_newest: bool = True,
        zones_reply: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(cast(AppleClient, None), CONTAINER, scope)
        self.assets = sorted(assets, key=lambda a: a.added_ms, reverse=rank0_newest)
        if zones_reply is None:
            listed = [{"zoneID": _zone(PRIMARY_ZONE), "syncToken": "TOKEN"}] if assets else []
            zones_reply = {"zones": listed}
        self.zones_reply = zones_reply
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def call(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((operation, body))
        if operation == "zones/list":
            return self.zones_reply
        if operation == "internal/records/query/batch":
            count = {"recordName": "c", "fields": {"itemCount": {"value": len(self.assets)}}}
            return {"batch": [{"records": [count], "syncToken": "TOKEN"}]}
        if operation == "records/query" and body["query"]["recordType"] == "CheckIndexingState":
            state = {"recordName": "s", "fields": {"state": {"value": "FINISHED"}}}
            return {"records": [state], "syncToken": "TOKEN"}
        if operation == "records/query":
            return {"records": self._page(body)}
        raise AssertionError(f"the fake does not answer {operation}")

    def _page(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        filters = {f["fieldName"]: f["fieldValue"]["value"] for f in body["query"]["filterBy"]}
        start, n = int(filters["startRank"]), body["resultsLimit"] // 2
        if filters["direction"] == "ASCENDING":
            ranks = range(start, min(start + n, len(self.assets)))
        else:
            first = min(start, len(self.assets) - 1)
            ranks = range(first, max(first - n, -1), -1)
        picked = [self.assets[r] for r in ranks]
        return [master_record(a) for a in picked] + [asset_record(a) for a in picked]


def master_record(asset: FakeAsset) -> dict[str, Any]:
    encoded = base64.b64encode(asset.filename.encode()).decode()
    return {
        "recordName": asset.master,
        "recordType": "CPLMaster",
        "fields": {
            "filenameEnc": {"value": encoded, "type": "ENCRYPTED_BYTES"},
            "itemType": {"value": "public.jpeg", "type": "STRING"},
            "resOriginalRes": {"value": {"size": 1000 + asset.number, "downloadURL": "x"}},
            "resOriginalFileType": {"value": "public.jpeg", "type": "STRING"},
        },
    }


def asset_record(asset: FakeAsset) -> dict[str, Any]:
    return {
        "recordName": asset.name,
        "recordType": "CPLAsset",
        "fields": {
            "addedDate": {"value": asset.added_ms, "type": "TIMESTAMP"},
            "assetDate": {"value": asset.added_ms - 1000, "type": "TIMESTAMP"},
            "masterRef": {"value": {"recordName": asset.master}, "type": "REFERENCE"},
        },
    }


class FakeLibrary(PhotosLibrary):
    """``PhotosLibrary`` over fake databases instead of HTTPS."""

    def __init__(self, private: FakeCloudKit, shared: FakeCloudKit | None = None) -> None:
        super().__init__(cast(AppleClient, None))
        self.fakes: dict[Scope, FakeCloudKit] = {
            "private": private,
            "shared": shared or FakeCloudKit("shared", [], zones_reply={"zones": []}),
        }

    def database(self, scope: Scope) -> CloudKitDatabase:
        return self.fakes[scope]
