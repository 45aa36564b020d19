"""The CloudKit server keeps a versioned zone's query answers, and drops them on edits."""

from __future__ import annotations

import random
from typing import Any

import pytest

from cloudtap.sandbox.accounts.model import GeneratedLibrary
from cloudtap.sandbox.cloudkit.replies import ReplyCache
from cloudtap.sandbox.photos.library import GeneratedSource
from cloudtap.sandbox.world import SandboxWorld
from tests.sandbox.photos.support import PHOTOS, account, client_for, list_query

PAGE = list_query("CPLAssetAndMasterByAddedDate", 0, "ASCENDING", 10)


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Indices whose CPLMaster the sandbox built, in order."""
    calls: list[int] = []
    original = GeneratedSource.master_record

    def counted(self: GeneratedSource, index: int, deleted: bool = False) -> Any:
        calls.append(index)
        return original(self, index, deleted)

    monkeypatch.setattr(GeneratedSource, "master_record", counted)
    return calls


def _world() -> SandboxWorld:
    return SandboxWorld.with_accounts([account("photos", GeneratedLibrary(count=45, seed=7))])


async def _modify(c: Any, name: str, fields: dict[str, Any]) -> None:
    body = {
        "operations": [
            {
                "operationType": "forceUpdate",
                "record": {"recordName": name, "recordType": "CPLAsset", "fields": fields},
            }
        ],
        "zoneID": {"zoneName": "PrimarySync"},
    }
    reply = await c.post(f"{PHOTOS}/private/records/modify", json=body)
    assert reply.status_code == 200, reply.text


async def test_the_same_page_is_built_once(built: list[int]) -> None:
    world = _world()
    async with client_for(world, world.account("photos@example.test")) as c:
        first = await c.post(f"{PHOTOS}/private/records/query", json=PAGE)
        assert len(built) == 5
        again = await c.post(f"{PHOTOS}/private/records/query", json=PAGE)
        # Another zoneID spelling of the same zone, and other keys order: the same answer.
        other = {**PAGE, "zoneID": {"zoneName": "PrimarySync", "ownerRecordName": "x"}}
        respelled = await c.post(f"{PHOTOS}/private/records/query", json=other)
        narrower = await c.post(
            f"{PHOTOS}/private/records/query", json={**PAGE, "desiredKeys": ["isFavorite"]}
        )
    assert first.content == again.content == respelled.content
    assert len(built) == 10  # only the narrower projection was built again
    assert narrower.json()["records"][5]["fields"].keys() == {"isFavorite"}


async def test_an_edit_drops_the_kept_pages(built: list[int]) -> None:
    world = _world()
    async with client_for(world, world.account("photos@example.test")) as c:
        before = (await c.post(f"{PHOTOS}/private/records/query", json=PAGE)).json()
        asset = next(r for r in before["records"] if r["recordType"] == "CPLAsset")
        favorite = asset["fields"]["isFavorite"]["value"]
        await _modify(c, asset["recordName"], {"isFavorite": {"value": 1 - favorite}})
        flipped = (await c.post(f"{PHOTOS}/private/records/query", json=PAGE)).json()
        await _modify(c, asset["recordName"], {"isDeleted": {"value": 1}})
        gone = (await c.post(f"{PHOTOS}/private/records/query", json=PAGE)).json()
    same = next(r for r in flipped["records"] if r["recordName"] == asset["recordName"])
    assert same["fields"]["isFavorite"]["value"] == 1 - favorite
    assert flipped["syncToken"] != before["syncToken"]
    assert asset["recordName"] not in {r["recordName"] for r in gone["records"]}
    assert gone["syncToken"] != flipped["syncToken"]


async def test_pages_are_kept_per_world(built: list[int]) -> None:
    one, other = _world(), _world()
    for world in (one, other):
        async with client_for(world, world.account("photos@example.test")) as c:
            assert (await c.post(f"{PHOTOS}/private/records/query", json=PAGE)).status_code == 200
    assert len(built) == 10


def test_the_cache_is_bounded_oldest_first() -> None:
    page = random.Random(1).randbytes(16_000)  # incompressible: ~16 KB kept each
    cache = ReplyCache(limit_bytes=40_000)
    for key in "abc":
        cache.put(key, page + key.encode())
    assert cache.get("a") is None  # the oldest went to make room
    assert cache.get("b") == page + b"b" and cache.get("c") == page + b"c"
    assert cache.size <= 40_000 and len(cache) == 2
    cache.put("d", page)
    assert cache.get("b") is None and cache.get("c") is not None  # c was read last
