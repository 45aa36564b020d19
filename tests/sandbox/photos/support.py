"""Helpers to talk to the sandbox's CloudKit and content hosts in-process (ASGI)."""

from __future__ import annotations

from typing import Any

import httpx

from cloudtap.sandbox.accounts.model import GeneratedLibrary, PhotoLibrary, SandboxAccount
from cloudtap.sandbox.app import SandboxApp
from cloudtap.sandbox.world import WEB_SESSION_COOKIE, SandboxWorld

CK = "https://p61-ckdatabasews.icloud.com"
PHOTOS = "/database/1/com.apple.photos.cloud/production"


def account(
    name: str = "photos", photos: PhotoLibrary | None = None, **fields: Any
) -> SandboxAccount:
    return SandboxAccount(
        apple_id=f"{name}@example.test",
        password="pw",
        scenario="test",
        dsid=str(abs(hash(name)) % 10**11),
        first_name="T",
        last_name=name,
        photos=photos if photos is not None else GeneratedLibrary(count=45, seed=7),
        **fields,
    )


def client_for(world: SandboxWorld, who: SandboxAccount | None) -> httpx.AsyncClient:
    cookies = {}
    if who is not None:
        cookies[WEB_SESSION_COOKIE] = world.issue_web_session(who).token
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(SandboxApp(world)), base_url=CK, cookies=cookies
    )


def list_query(
    record_type: str,
    start: int,
    direction: str,
    limit: int,
    zone: str = "PrimarySync",
    **extra: str,
) -> dict[str, Any]:
    filters: list[dict[str, Any]] = [
        {
            "fieldName": "startRank",
            "comparator": "EQUALS",
            "fieldValue": {"type": "INT64", "value": start},
        },
        {
            "fieldName": "direction",
            "comparator": "EQUALS",
            "fieldValue": {"type": "STRING", "value": direction},
        },
    ]
    for name, value in extra.items():
        filters.append(
            {
                "fieldName": name,
                "comparator": "EQUALS",
                "fieldValue": {"type": "STRING", "value": value},
            }
        )
    return {
        "query": {"recordType": record_type, "filterBy": filters},
        "resultsLimit": limit,
        "zoneID": {"zoneName": zone},
    }


def count_query(count_id: str, zone: str = "PrimarySync") -> dict[str, Any]:
    return {
        "batch": [
            {
                "resultsLimit": 1,
                "query": {
                    "recordType": "HyperionIndexCountLookup",
                    "filterBy": {
                        "fieldName": "indexCountID",
                        "comparator": "IN",
                        "fieldValue": {"type": "STRING_LIST", "value": [count_id]},
                    },
                },
                "zoneWide": True,
                "zoneID": {"zoneName": zone},
            }
        ]
    }


async def count(client: httpx.AsyncClient, count_id: str, database: str = "private") -> int:
    reply = await client.post(
        f"{PHOTOS}/{database}/internal/records/query/batch", json=count_query(count_id)
    )
    assert reply.status_code == 200, reply.text
    return int(reply.json()["batch"][0]["records"][0]["fields"]["itemCount"]["value"])


async def list_all(
    client: httpx.AsyncClient, record_type: str, direction: str = "ASCENDING", **extra: str
) -> list[dict[str, Any]]:
    """Page an index to the end like the clients do; returns the CPLAsset records."""
    assets: list[dict[str, Any]] = []
    total = None
    if direction == "DESCENDING":
        total = await count(client, "CPLAssetByAssetDateWithoutHiddenOrDeleted")
    rank = 0 if total is None else total - 1
    while True:
        body = list_query(record_type, rank, direction, 20, **extra)
        reply = await client.post(f"{PHOTOS}/private/records/query", json=body)
        assert reply.status_code == 200, reply.text
        page = [r for r in reply.json()["records"] if r["recordType"] == "CPLAsset"]
        assets += page
        if not page or len(page) < 10:
            return assets
        rank = rank + len(page) if direction == "ASCENDING" else rank - len(page)
        if rank < 0:
            return assets
