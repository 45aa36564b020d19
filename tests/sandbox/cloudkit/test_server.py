"""The CloudKit server's own protocol: sessions, errors, sync tokens and change paging."""

from __future__ import annotations

from cloudtap.sandbox.accounts.model import GeneratedLibrary
from cloudtap.sandbox.world import SandboxWorld
from tests.sandbox.photos.support import PHOTOS, account, client_for

ZONE = {"zoneName": "PrimarySync"}


async def test_no_session_is_421() -> None:
    who = account()
    world = SandboxWorld.with_accounts([who])
    async with client_for(world, None) as c:
        reply = await c.post(f"{PHOTOS}/private/zones/list", json={})
    assert reply.status_code == 421
    assert reply.json()["serverErrorCode"] == "AUTHENTICATION_REQUIRED"


async def test_expired_session_is_421() -> None:
    who = account()
    world = SandboxWorld.with_accounts([who])
    async with client_for(world, who) as c:
        assert (await c.post(f"{PHOTOS}/private/zones/list", json={})).status_code == 200
        world.expire_sessions_of(who.apple_id)
        assert (await c.post(f"{PHOTOS}/private/zones/list", json={})).status_code == 421


async def test_adp_account_is_access_denied() -> None:
    who = account("adp", adp=True)
    world = SandboxWorld.with_accounts([who])
    async with client_for(world, who) as c:
        reply = await c.post(f"{PHOTOS}/private/zones/list", json={})
    assert reply.status_code == 403
    assert reply.json() | {"uuid": "-"} == {
        "uuid": "-",
        "serverErrorCode": "ACCESS_DENIED",
        "reason": "private db access disabled for this account",
    }


async def test_malformed_requests_get_error_bodies() -> None:
    who = account()
    world = SandboxWorld.with_accounts([who])
    async with client_for(world, who) as c:
        bad_json = await c.post(f"{PHOTOS}/private/records/query", content=b"{not json")
        no_query = await c.post(f"{PHOTOS}/private/records/query", json={"zoneID": ZONE})
        container = await c.post(
            "/database/1/com.example.nothing/production/private/zones/list", json={}
        )
        database = await c.post("/database/1/com.apple.photos.cloud/production/public/zones/list")
        operation = await c.post(f"{PHOTOS}/private/records/explode", json={})
        path = await c.get("/nowhere")
    for reply in (bad_json, no_query, container, database, operation):
        assert reply.status_code == 400, reply.text
        assert reply.json()["serverErrorCode"] == "BAD_REQUEST"
    assert path.status_code == 404 and path.json()["serverErrorCode"] == "NOT_FOUND"


async def test_changes_page_with_tokens_to_tombstones() -> None:
    who = account("big", GeneratedLibrary(count=150, seed=1))
    world = SandboxWorld.with_accounts([who])
    seen: dict[str, bool] = {}
    pages, token = 0, None
    async with client_for(world, who) as c:
        while True:
            zone_req: dict[str, object] = {"zoneID": ZONE}
            if token:
                zone_req["syncToken"] = token
            reply = await c.post(
                f"{PHOTOS}/private/changes/zone", json={"zones": [zone_req], "resultsLimit": 64}
            )
            assert reply.status_code == 200, reply.text
            (zone,) = reply.json()["zones"]
            for rec in zone["records"]:
                seen[rec["recordName"]] = rec.get("deleted") is True and "recordType" not in rec
            token, pages = zone["syncToken"], pages + 1
            if not zone["moreComing"]:
                break
        again = await c.post(
            f"{PHOTOS}/private/changes/zone",
            json={"zones": [{"zoneID": ZONE, "syncToken": token}]},
        )
        query = await c.post(
            f"{PHOTOS}/private/records/query",
            json={"query": {"recordType": "CheckIndexingState"}, "zoneID": ZONE},
        )
    live = [name for name, tombstone in seen.items() if not tombstone]
    assert len(live) == 2 * 150  # every master and asset, once
    assert sum(seen.values()) == 2  # one purged asset: its master and asset tombstones
    assert pages == -(-(2 * 150 + 4) // 64)
    assert again.json()["zones"][0]["records"] == []
    assert query.json()["syncToken"] == token  # a query reports the current position


async def test_foreign_or_garbled_sync_token_is_rejected() -> None:
    one, two = account("one"), account("two")
    world = SandboxWorld.with_accounts([one, two])
    async with client_for(world, one) as c:
        token = (
            await c.post(f"{PHOTOS}/private/changes/zone", json={"zones": [{"zoneID": ZONE}]})
        ).json()["zones"][0]["syncToken"]
    async with client_for(world, two) as c:
        foreign = await c.post(
            f"{PHOTOS}/private/changes/zone",
            json={"zones": [{"zoneID": ZONE, "syncToken": token}]},
        )
        garbled = await c.post(
            f"{PHOTOS}/private/changes/zone",
            json={"zones": [{"zoneID": ZONE, "syncToken": "%%%"}]},
        )
        unknown_zone = await c.post(
            f"{PHOTOS}/private/changes/zone", json={"zones": [{"zoneID": {"zoneName": "X"}}]}
        )
    assert foreign.status_code == garbled.status_code == 400
    assert foreign.json()["serverErrorCode"] == "BAD_REQUEST"
    assert unknown_zone.json()["zones"][0]["serverErrorCode"] == "ZONE_NOT_FOUND"


async def test_database_changes_lists_zones() -> None:
    who = account("shared", GeneratedLibrary(count=5, seed=2, shared_count=3))
    world = SandboxWorld.with_accounts([who])
    async with client_for(world, who) as c:
        reply = (await c.post(f"{PHOTOS}/shared/changes/database", json={})).json()
    assert [z["zoneID"]["zoneName"][:11] for z in reply["zones"]] == ["SharedSync-"]
    assert reply["moreComing"] is False and reply["syncToken"]


async def test_modify_on_a_read_only_container_is_access_denied() -> None:
    # CloudKit Web Services Reference, "Error Codes": no PERMISSION_FAILURE on the web;
    # a refused write is ACCESS_DENIED, 403 (docs/apple-evidence.md, CloudKit section).
    who = account()
    world = SandboxWorld.with_accounts([who])
    notes = "/database/1/com.apple.notes/production/private/records/modify"
    body = {"operations": [], "zoneID": {"zoneName": "Notes"}}
    async with client_for(world, who) as c:
        reply = await c.post(notes, json=body)
    assert reply.status_code == 403, reply.text
    assert reply.json()["serverErrorCode"] == "ACCESS_DENIED"
