"""The bare client: the fewest requests and the least work that get the same data.

Logs in with cloudtap's iCloud client (not timed), then speaks CloudKit with plain httpx:
a count, then the listing pages, ``PAGE_CONCURRENCY`` in flight (cloudtap's own setting),
each parsed and its assets counted; downloads are plain GETs of the records' download
URLs, ``DOWNLOADS_IN_FLIGHT`` at a time (cloudtap's per-account bound), hashed as they
arrive. It is the same work with none of cloudtap's overhead: the "limit" a client
could reach through this sandbox at these settings and that bound.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from typing import Any

import orjson

from cloudtap.icloud.auth.flow import session_from_state
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, TransportOptions
from cloudtap.icloud.files.icpl import PhotoFileRef
from cloudtap.icloud.locks import DOWNLOADS_PER_ACCOUNT
from cloudtap.icloud.services.cloudkit import CloudKitDatabase
from cloudtap.icloud.services.photos import (
    CONTAINER,
    COUNT_INDEX,
    DESIRED_KEYS,
    LIST_INDEX,
    PAGE_ASSETS,
    PAGE_CONCURRENCY,
    PRIMARY_ZONE,
)

# cloudtap's own per-account bound (docs/apple-evidence.md), as PAGE_CONCURRENCY above.
DOWNLOADS_IN_FLIGHT = DOWNLOADS_PER_ACCOUNT
DOWNLOADED_RESOURCES = ("resOriginal", "resOriginalVidCompl")
_ZONE = {"zoneName": PRIMARY_ZONE}


@dataclass(frozen=True)
class Download:
    file_id: str
    url: str


class BareClient:
    def __init__(self, client: AppleClient) -> None:
        self.client = client
        self.base = CloudKitDatabase(client, CONTAINER, "private").base_url
        self.params = {**client.query_params(), "remapEnums": "True"}

    async def _call(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        reply = await self.client.http.post(
            f"{self.base}/{operation}", params=self.params, content=orjson.dumps(body)
        )
        reply.raise_for_status()
        parsed: dict[str, Any] = orjson.loads(reply.content)
        return parsed

    async def count(self) -> int:
        query = {"recordType": "HyperionIndexCountLookup", "filterBy": {
            "fieldName": "indexCountID", "comparator": "IN",
            "fieldValue": {"type": "STRING_LIST", "value": [COUNT_INDEX]}}}  # fmt: skip
        batch = {"resultsLimit": 1, "query": query, "zoneWide": True, "zoneID": _ZONE}
        reply = await self._call("internal/records/query/batch", {"batch": [batch]})
        return int(reply["batch"][0]["records"][0]["fields"]["itemCount"]["value"])

    async def page(self, rank: int) -> list[dict[str, Any]]:
        filters = [
            {"fieldName": "startRank", "comparator": "EQUALS",
             "fieldValue": {"type": "INT64", "value": rank}},
            {"fieldName": "direction", "comparator": "EQUALS",
             "fieldValue": {"type": "STRING", "value": "ASCENDING"}},
        ]  # fmt: skip
        body = {
            "query": {"recordType": LIST_INDEX, "filterBy": filters},
            "zoneID": _ZONE,
            "resultsLimit": PAGE_ASSETS * 2,
            "desiredKeys": DESIRED_KEYS,
        }
        records: list[dict[str, Any]] = (await self._call("records/query", body))["records"]
        return records

    async def pages(self, ranks: list[int]) -> list[list[dict[str, Any]]]:
        gate = asyncio.Semaphore(PAGE_CONCURRENCY)

        async def one(rank: int) -> list[dict[str, Any]]:
            async with gate:
                return await self.page(rank)

        return await asyncio.gather(*(one(rank) for rank in ranks))

    async def list_all(self) -> int:
        """Every asset of the library: how many there are (no page is kept)."""
        total = await self.count()
        gate = asyncio.Semaphore(PAGE_CONCURRENCY)

        async def assets_on(rank: int) -> int:
            async with gate:
                page = await self.page(rank)
            return sum(1 for r in page if r.get("recordType") == "CPLAsset")

        return sum(await asyncio.gather(*map(assets_on, range(0, total, PAGE_ASSETS))))

    async def downloads(self, assets: int) -> list[Download]:
        """Originals and live-photo videos of the first ``assets`` assets, by rank."""
        found: list[Download] = []
        for page in await self.pages(list(range(0, assets, PAGE_ASSETS))):
            masters = {r["recordName"]: r for r in page if r.get("recordType") == "CPLMaster"}
            for asset in [r for r in page if r.get("recordType") == "CPLAsset"]:
                if assets <= 0:
                    break
                assets -= 1
                master_ref = _value(asset, "masterRef") or {}
                holders = [asset, masters.get(master_ref.get("recordName"), {})]
                for resource in DOWNLOADED_RESOURCES:
                    # The asset's own resource wins over its master's, as cloudtap reads it.
                    for holder in holders:
                        value = _value(holder, f"{resource}Res")
                        if isinstance(value, dict) and value.get("downloadURL"):
                            name = holder["recordName"]
                            ref = PhotoFileRef("private", PRIMARY_ZONE, name, resource)
                            found.append(Download(ref.to_id(), value["downloadURL"]))
                            break
        return found

    async def fetch(self, files: list[Download]) -> dict[str, tuple[int, str]]:
        """Download every file: ``{file id: (size, md5)}``."""
        gate = asyncio.Semaphore(DOWNLOADS_IN_FLIGHT)

        async def one(file: Download) -> tuple[str, tuple[int, str]]:
            digest, size = hashlib.md5(), 0
            async with gate, self.client.http.stream("GET", file.url) as reply:
                reply.raise_for_status()
                async for chunk in reply.aiter_raw():
                    digest.update(chunk)
                    size += len(chunk)
            return file.file_id, (size, digest.hexdigest())

        return dict(await asyncio.gather(*(one(f) for f in files)))


def _value(record: dict[str, Any], name: str) -> Any:
    return ((record.get("fields") or {}).get(name) or {}).get("value")


async def logged_in(proxy_url: str, ca_file: str, apple_id: str) -> AppleClient:
    transport = TransportOptions(proxy_url, ca_file)
    outcome = await ICloudConnector(transport).login(
        Credentials(apple_id, "sandbox-password"), None
    )
    session = session_from_state(outcome.session_state)
    if session is None:
        raise RuntimeError(f"bare client login of {apple_id}: {outcome.error}")
    return AppleClient(transport, session)


async def timed_listing(proxy_url: str, ca_file: str, apple_id: str) -> tuple[float, int]:
    async with await logged_in(proxy_url, ca_file, apple_id) as client:
        started = time.perf_counter()
        count = await BareClient(client).list_all()
        return time.perf_counter() - started, count


async def timed_download(
    proxy_url: str, ca_file: str, apple_id: str, assets: int
) -> tuple[float, dict[str, tuple[int, str]]]:
    async with await logged_in(proxy_url, ca_file, apple_id) as client:
        bare = BareClient(client)
        files = await bare.downloads(assets)
        started = time.perf_counter()
        fetched = await bare.fetch(files)
        return time.perf_counter() - started, fetched
