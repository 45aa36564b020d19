"""Albums and folders of generated libraries: ``rich@`` has nested folders, an empty
album and a unicode name; every album's contents follow the seed."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from cloudtap.sandbox.accounts.scenarios import scenario_account
from cloudtap.sandbox.world import SandboxWorld
from tests.sandbox.photos.support import PHOTOS, client_for, count, list_query


async def _albums(c: httpx.AsyncClient, parent: str | None) -> list[dict[str, Any]]:
    query: dict[str, Any] = {"recordType": "CPLAlbumByPositionLive"}
    if parent is not None:
        query["filterBy"] = [
            {
                "fieldName": "parentId",
                "comparator": "EQUALS",
                "fieldValue": {"type": "STRING", "value": parent},
            }
        ]
    body = {"query": query, "zoneID": {"zoneName": "PrimarySync"}}
    reply = await c.post(f"{PHOTOS}/private/records/query", json=body)
    assert reply.status_code == 200
    return list(reply.json()["records"])


def _name(record: dict[str, Any]) -> str | None:
    enc = record["fields"].get("albumNameEnc", {}).get("value")
    return base64.b64decode(enc).decode() if enc else None


async def _tree(c: httpx.AsyncClient) -> dict[str, tuple[int, str | None, str]]:
    """name -> (albumType, parent name, record name), walking folders like pyicloud."""
    out: dict[str, tuple[int, str | None, str]] = {}
    pending: list[tuple[str | None, str | None]] = [(None, None)]
    while pending:
        parent_id, parent_name = pending.pop()
        for record in await _albums(c, parent_id):
            name, kind = _name(record), record["fields"]["albumType"]["value"]
            if name is None:
                continue  # the hidden root folder
            out[name] = (kind, parent_name, record["recordName"])
            if kind == 3:
                pending.append((record["recordName"], name))
    return out


async def test_rich_has_nested_folders_an_empty_and_a_unicode_album() -> None:
    rich = scenario_account("rich")
    world = SandboxWorld.with_accounts([rich])
    async with client_for(world, rich) as c:
        tree = await _tree(c)
        sizes = {
            name: await count(c, f"CPLContainerRelationNotDeletedByAssetDate:{rid}")
            for name, (kind, _, rid) in tree.items()
            if kind == 0
        }
        body = list_query(
            "CPLContainerRelationLiveByAssetDate", 0, "ASCENDING", 300, parentId=tree["Rome"][2]
        )
        page = (await c.post(f"{PHOTOS}/private/records/query", json=body)).json()["records"]
        rome = [r for r in page if r["recordType"] == "CPLAsset"]
    assert tree["Trips"][:2] == (3, None)
    assert tree["Europe"][:2] == (3, "Trips")  # a folder in a folder
    assert tree["Rome"][:2] == (0, "Europe")
    assert tree["Été à Tōkyō 🌸"][:2] == (0, None)
    assert sizes["Empty"] == 0
    assert all(sizes[n] > 0 for n in ("Holidays", "Family", "Paris", "Rome", "Été à Tōkyō 🌸"))
    assert len(rome) == sizes["Rome"]


async def test_a_basic_library_keeps_its_three_top_level_albums() -> None:
    nora = scenario_account("no2fa")
    world = SandboxWorld.with_accounts([nora])
    async with client_for(world, nora) as c:
        tree = await _tree(c)
    assert {n: v[:2] for n, v in tree.items()} == {
        "Holidays": (0, None),
        "Family": (0, None),
        "Trips": (3, None),
        "Paris": (0, "Trips"),
    }
