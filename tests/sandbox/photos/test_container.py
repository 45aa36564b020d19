"""The Photos container through the CloudKit server, in-process."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cloudtap.sandbox.accounts.model import GeneratedLibrary
from cloudtap.sandbox.photos import generator
from cloudtap.sandbox.photos.container import shared_zone_name
from cloudtap.sandbox.world import SandboxWorld
from tests.sandbox.photos.support import PHOTOS, account, client_for, count, list_all, list_query

SEED, COUNT = 7, 45


def visible_indices() -> list[int]:
    return [i for i in range(COUNT) if not generator.is_hidden(SEED, i)]


@pytest.fixture
def world() -> SandboxWorld:
    return SandboxWorld.with_accounts(
        [account("photos", GeneratedLibrary(count=COUNT, seed=SEED, shared_count=6))]
    )


async def test_indexing_state_and_zones(world: SandboxWorld) -> None:
    async with client_for(world, world.account("photos@example.test")) as c:
        reply = await c.post(
            f"{PHOTOS}/private/records/query",
            content='{"query":{"recordType":"CheckIndexingState"},"zoneID":{"zoneName":"PrimarySync"}}',
            headers={"Content-Type": "text/plain"},
        )
        assert reply.status_code == 200
        assert reply.json()["records"][0]["fields"]["state"]["value"] == "FINISHED"
        private = (await c.post(f"{PHOTOS}/private/zones/list", json={})).json()
        shared = (await c.post(f"{PHOTOS}/shared/zones/list", json={})).json()
    # The Shared Library is in the private zone list, as pyicloud's browser-derived
    # fixture shows; the shared database answers for it too (icloudpd's cassettes).
    primary, shared_zone = private["zones"]
    assert primary["zoneID"]["zoneName"] == "PrimarySync"
    assert shared_zone["zoneID"]["zoneName"] == shared_zone_name(SEED)
    assert shared_zone["zoneID"]["zoneType"] == "REGULAR_CUSTOM_ZONE"
    assert shared_zone["syncToken"]
    assert [z["zoneID"] for z in shared["zones"]] == [shared_zone["zoneID"]]


async def test_ascending_lists_newest_first_and_matches_count(world: SandboxWorld) -> None:
    async with client_for(world, world.account("photos@example.test")) as c:
        total = await count(c, "CPLAssetByAssetDateWithoutHiddenOrDeleted")
        assets = await list_all(c, "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted")
    names = [a["recordName"] for a in assets]
    assert total == len(visible_indices()) == len(names) == len(set(names))
    assert names == [generator.asset_name(SEED, "PrimarySync", i) for i in visible_indices()]
    dates = [a["fields"]["assetDate"]["value"] for a in assets]
    assert dates == sorted(dates, reverse=True)


async def test_descending_walks_the_same_assets_backwards(world: SandboxWorld) -> None:
    async with client_for(world, world.account("photos@example.test")) as c:
        up = await list_all(c, "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted")
        down = await list_all(
            c, "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted", direction="DESCENDING"
        )
    assert [a["recordName"] for a in down] == [a["recordName"] for a in reversed(up)]


async def test_page_is_masters_then_assets_joined_by_master_ref(world: SandboxWorld) -> None:
    body = list_query("CPLAssetAndMasterByAddedDate", 0, "ASCENDING", 10)
    async with client_for(world, world.account("photos@example.test")) as c:
        reply = (await c.post(f"{PHOTOS}/private/records/query", json=body)).json()
    types = [r["recordType"] for r in reply["records"]]
    assert types == ["CPLMaster"] * 5 + ["CPLAsset"] * 5
    masters = [r["recordName"] for r in reply["records"][:5]]
    refs = [r["fields"]["masterRef"]["value"]["recordName"] for r in reply["records"][5:]]
    assert masters == refs
    assert "continuationMarker" in reply and "syncToken" in reply


@pytest.mark.parametrize(
    ("smart", "count_id", "kinds"),
    [
        ("LIVE", "CPLAssetInSmartAlbumByAssetDate:Live", {"live"}),
        ("VIDEO", "CPLAssetInSmartAlbumByAssetDate:Video", {"video"}),
        ("SCREENSHOT", "CPLAssetInSmartAlbumByAssetDate:Screenshot", {"screenshot"}),
    ],
)
async def test_smart_albums(
    world: SandboxWorld, smart: str, count_id: str, kinds: set[str]
) -> None:
    expected = [i for i in visible_indices() if generator.kind_of(SEED, i) in kinds]
    async with client_for(world, world.account("photos@example.test")) as c:
        assert await count(c, count_id) == len(expected) > 0
        assets = await list_all(c, "CPLAssetAndMasterInSmartAlbumByAssetDate", smartAlbum=smart)
    assert [a["recordName"] for a in assets] == [
        generator.asset_name(SEED, "PrimarySync", i) for i in expected
    ]


async def test_favorites_and_hidden(world: SandboxWorld) -> None:
    favorites = [i for i in visible_indices() if generator.is_favorite(SEED, i)]
    hidden = [i for i in range(COUNT) if generator.is_hidden(SEED, i)]
    async with client_for(world, world.account("photos@example.test")) as c:
        assert await count(c, "CPLAssetInSmartAlbumByAssetDate:Favorite") == len(favorites) > 0
        assert await count(c, "CPLAssetHiddenByAssetDate") == len(hidden) > 0
        fav = await list_all(c, "CPLAssetAndMasterInSmartAlbumByAssetDate", smartAlbum="FAVORITE")
        hid = await list_all(c, "CPLAssetAndMasterHiddenByAssetDate")
    assert all(a["fields"]["isFavorite"]["value"] == 1 for a in fav) and len(fav) == len(favorites)
    assert all(a["fields"]["isHidden"]["value"] == 1 for a in hid) and len(hid) == len(hidden)


async def test_albums_and_album_contents(world: SandboxWorld) -> None:
    async with client_for(world, world.account("photos@example.test")) as c:
        top = (
            await c.post(
                f"{PHOTOS}/private/records/query",
                json={
                    "query": {"recordType": "CPLAlbumByPositionLive"},
                    "zoneID": {"zoneName": "PrimarySync"},
                },
            )
        ).json()["records"]
        by_name = {r["fields"].get("albumNameEnc", {}).get("value"): r for r in top}
        assert "----Root-Folder----" in {r["recordName"] for r in top}
        holidays = next(r for r in top if r["fields"].get("albumType", {}).get("value") == 0)
        album_id = holidays["recordName"]
        total = await count(c, f"CPLContainerRelationNotDeletedByAssetDate:{album_id}")
        body = list_query(
            "CPLContainerRelationLiveByAssetDate", 0, "ASCENDING", 300, parentId=album_id
        )
        page = (await c.post(f"{PHOTOS}/private/records/query", json=body)).json()["records"]
    types = [r["recordType"] for r in page]
    assert types.count("CPLContainerRelation") == types.count("CPLAsset") == total > 0
    assert len(by_name) >= 3


async def test_unknown_or_folder_album_id_is_an_empty_page(world: SandboxWorld) -> None:
    """No capture shows Apple refusing a parentId; icloudpy's answers one with no records."""
    who = world.account("photos@example.test")
    async with client_for(world, who) as c:
        pages = []
        for parent in ("----Root-Folder----", "NO-SUCH-ALBUM"):
            body = list_query(
                "CPLContainerRelationLiveByAssetDate", 0, "ASCENDING", 100, parentId=parent
            )
            pages.append(await c.post(f"{PHOTOS}/private/records/query", json=body))
        total = await count(c, "CPLContainerRelationNotDeletedByAssetDate:NO-SUCH-ALBUM")
    for reply in pages:
        assert reply.status_code == 200
        assert reply.json()["records"] == []
        assert "continuationMarker" not in reply.json()
    assert total == 0


async def test_delete_moves_to_recently_deleted_and_shows_in_changes(world: SandboxWorld) -> None:
    who = world.account("photos@example.test")
    async with client_for(world, who) as c:
        before = await count(c, "CPLAssetByAssetDateWithoutHiddenOrDeleted")
        token = (
            await c.post(
                f"{PHOTOS}/private/changes/zone",
                json={"zones": [{"zoneID": {"zoneName": "PrimarySync"}}], "resultsLimit": 1000},
            )
        ).json()["zones"][0]["syncToken"]
        first = (await list_all(c, "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted"))[0]
        body = {
            "atomic": True,
            "desiredKeys": ["isDeleted"],
            "operations": [
                {
                    "operationType": "update",
                    "record": {
                        "recordName": first["recordName"],
                        "recordType": "CPLAsset",
                        "recordChangeTag": first["recordChangeTag"],
                        "fields": {"isDeleted": {"value": 1}},
                    },
                }
            ],
            "zoneID": {"zoneName": "PrimarySync"},
        }
        reply = await c.post(f"{PHOTOS}/private/records/modify", json=body)
        assert reply.status_code == 200, reply.text
        assert reply.json()["records"][0]["fields"] == {"isDeleted": {"value": 1, "type": "INT64"}}
        assert await count(c, "CPLAssetByAssetDateWithoutHiddenOrDeleted") == before - 1
        assert await count(c, "CPLAssetDeletedByExpungedDate") == 1
        listed = await list_all(c, "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted")
        assert first["recordName"] not in {a["recordName"] for a in listed}
        deleted = await list_all(c, "CPLAssetAndMasterDeletedByExpungedDate")
        assert [a["recordName"] for a in deleted] == [first["recordName"]]
        changes = (
            await c.post(
                f"{PHOTOS}/private/changes/zone",
                json={"zones": [{"zoneID": {"zoneName": "PrimarySync"}, "syncToken": token}]},
            )
        ).json()
    (zone,) = changes["zones"]
    assert [r["recordName"] for r in zone["records"]] == [first["recordName"]]
    assert zone["records"][0]["fields"]["isDeleted"]["value"] == 1
    assert zone["moreComing"] is False


async def test_deletions_stay_in_their_world() -> None:
    who = account("photos", GeneratedLibrary(count=COUNT, seed=SEED))
    one, other = SandboxWorld.with_accounts([who]), SandboxWorld.with_accounts([who])
    async with client_for(one, who) as c:
        first = (await list_all(c, "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted"))[0]
        body = {
            "operations": [
                {
                    "operationType": "forceUpdate",
                    "record": {
                        "recordName": first["recordName"],
                        "recordType": "CPLAsset",
                        "fields": {"isDeleted": {"value": 1}},
                    },
                }
            ],
            "zoneID": {"zoneName": "PrimarySync"},
        }
        assert (await c.post(f"{PHOTOS}/private/records/modify", json=body)).status_code == 200
        assert await count(c, "CPLAssetDeletedByExpungedDate") == 1
    async with client_for(other, who) as c:
        assert await count(c, "CPLAssetDeletedByExpungedDate") == 0


async def test_photos_off_answers_zone_not_found() -> None:
    off = account("off", photos_enabled=False)
    world = SandboxWorld.with_accounts([off])
    async with client_for(world, off) as c:
        zones = (await c.post(f"{PHOTOS}/private/zones/list", json={})).json()
        reply = await c.post(
            f"{PHOTOS}/private/records/query",
            json={
                "query": {"recordType": "CheckIndexingState"},
                "zoneID": {"zoneName": "PrimarySync"},
            },
        )
    assert zones["zones"] == []
    assert reply.status_code == 404
    assert reply.json()["serverErrorCode"] == "ZONE_NOT_FOUND"


async def test_lookup_by_name(world: SandboxWorld) -> None:
    master = generator.master_name(SEED, "PrimarySync", 3)
    body = {
        "records": [{"recordName": master}, {"recordName": "nope"}],
        "zoneID": {"zoneName": "PrimarySync"},
    }
    async with client_for(world, world.account("photos@example.test")) as c:
        reply = (await c.post(f"{PHOTOS}/private/records/lookup", json=body)).json()
    assert reply["records"][0]["recordName"] == master
    assert reply["records"][1]["serverErrorCode"] == "NOT_FOUND"


async def test_bad_queries_get_cloudkit_errors(world: SandboxWorld) -> None:
    async with client_for(world, world.account("photos@example.test")) as c:
        unknown = await c.post(
            f"{PHOTOS}/private/records/query",
            json={"query": {"recordType": "Nope"}, "zoneID": {"zoneName": "PrimarySync"}},
        )
        bad_rank = await c.post(
            f"{PHOTOS}/private/records/query",
            json=list_query("CPLAssetAndMasterByAddedDate", -5, "ASCENDING", 10),
        )
        bad_dir = await c.post(
            f"{PHOTOS}/private/records/query",
            json=list_query("CPLAssetAndMasterByAddedDate", 0, "SIDEWAYS", 10),
        )
    for reply in (unknown, bad_rank, bad_dir):
        assert reply.status_code == 400
        assert reply.json()["serverErrorCode"] == "BAD_REQUEST"


async def _changes(
    c: httpx.AsyncClient, database: str, zone: str, token: str | None = None
) -> dict[str, Any]:
    entry = {"zoneID": {"zoneName": zone}, **({"syncToken": token} if token else {})}
    reply = await c.post(f"{PHOTOS}/{database}/changes/zone", json={"zones": [entry]})
    assert reply.status_code == 200, reply.text
    (page,) = reply.json()["zones"]
    assert isinstance(page, dict)
    return page


async def test_shared_library_in_the_private_database_answers_changes_and_favourites(
    world: SandboxWorld,
) -> None:
    """pyicloud's browser-derived Shared Library fixtures: changes/zone and a modify of
    isFavorite on SharedSync-… in the private database; the shared database sees the same."""
    zone = shared_zone_name(SEED)
    async with client_for(world, world.account("photos@example.test")) as c:
        start = await _changes(c, "private", zone)
        shared_start = await _changes(c, "shared", zone)  # tokens are per database
        quota = [r for r in start["records"] if r.get("recordType") == "CPLSharedLibraryQuota"]
        favourites = list_query("CPLAssetAndMasterInSmartAlbumByAssetDate", 0, "ASCENDING", 200,
                                zone=zone, smartAlbum="FAVORITE")  # fmt: skip
        listed = (await c.post(f"{PHOTOS}/private/records/query", json=favourites)).json()
        before = [r for r in listed["records"] if r["recordType"] == "CPLAsset"]
        assert before, "the generated Shared Library has a favourite"
        asset = before[0]
        body = {
            "atomic": True,
            "operations": [
                {
                    "operationType": "update",
                    "record": {
                        "recordName": asset["recordName"],
                        "recordChangeTag": asset["recordChangeTag"],
                        "recordType": "CPLAsset",
                        "fields": {"isFavorite": {"value": 0}},
                    },
                }
            ],
            "zoneID": {"zoneName": zone},
        }
        reply = (await c.post(f"{PHOTOS}/private/records/modify", json=body)).json()
        changed = reply["records"][0]
        stale = await c.post(f"{PHOTOS}/private/records/modify", json=body)
        after = (await c.post(f"{PHOTOS}/private/records/query", json=favourites)).json()
        since = await _changes(c, "private", zone, start["syncToken"])
        shared = await _changes(c, "shared", zone, shared_start["syncToken"])
    assert changed["recordName"] == asset["recordName"]
    assert changed["fields"]["isFavorite"] == {"value": 0, "type": "INT64"}
    assert changed["recordChangeTag"] != asset["recordChangeTag"]
    assert stale.json()["records"][0]["serverErrorCode"] == "CONFLICT"
    gone = [r["recordName"] for r in after["records"] if r["recordType"] == "CPLAsset"]
    assert asset["recordName"] not in gone and len(gone) == len(before) - 1
    assert [r["recordName"] for r in since["records"]] == [asset["recordName"]]
    assert since["records"][0]["fields"]["isFavorite"]["value"] == 0
    assert [r["recordName"] for r in shared["records"]] == [asset["recordName"]]
    # The owner's quota record: every file of the zone's six assets, in bytes.
    (record,) = quota
    specs = [generator.asset(SEED, zone, i) for i in range(6)]
    total = sum(r.size for spec in specs for r in spec.resources)
    assert record["fields"]["contributedQuotaInSharedLibrary"]["value"] == total
    assert record["recordName"].startswith("SharedLibraryQuota-_")
