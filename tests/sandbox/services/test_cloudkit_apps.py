"""Notes, call history and Safari history as a client reaches them: through ckdatabasews."""

from __future__ import annotations

import base64

from cloudtap.sandbox.accounts.model import ContentSpec
from cloudtap.sandbox.world import SandboxWorld
from tests.sandbox.services.conftest import ServiceClient, make_account

DB = "/database/1/{container}/production/private"
NOTES = DB.format(container="com.apple.notes")
CALLS = DB.format(container="com.apple.callhistory.sync-helper")
SAFARI = DB.format(container="com.apple.SafariShared.WBSCloudHistoryStore")
PARAMS = {"remapEnums": "true", "getCurrentSyncToken": "true"}


async def test_notes_recents_changes_and_lookup(service_client: ServiceClient) -> None:
    async with service_client("ckdatabasews") as client:
        recents = await client.post(
            f"{NOTES}/records/query",
            params=PARAMS,
            json={
                "query": {
                    "recordType": "SearchIndexes",
                    "filterBy": [
                        {
                            "comparator": "EQUALS",
                            "fieldName": "indexName",
                            "fieldValue": {"type": "STRING", "value": "recents"},
                        }
                    ],
                    "sortBy": [{"fieldName": "modTime", "ascending": False}],
                },
                "zoneID": {"zoneName": "Notes"},
                "resultsLimit": 10,
                "desiredKeys": ["TitleEncrypted", "ModificationDate"],
            },
        )
        changes = await client.post(
            f"{NOTES}/changes/zone",
            params=PARAMS,
            json={
                "zones": [
                    {
                        "zoneID": {"zoneName": "Notes", "zoneType": "REGULAR_CUSTOM_ZONE"},
                        "desiredRecordTypes": ["Folder"],
                        "desiredKeys": ["TitleEncrypted", "ParentFolder"],
                        "reverse": False,
                    }
                ]
            },
        )
        first = recents.json()["records"][0]["recordName"]
        lookup = await client.post(
            f"{NOTES}/records/lookup",
            params=PARAMS,
            json={
                "records": [{"recordName": first}, {"recordName": "nope"}],
                "zoneID": {"zoneName": "Notes"},
            },
        )
        bad = await client.post(
            f"{NOTES}/changes/zone",
            json={"zones": [{"zoneID": {"zoneName": "Notes"}, "syncToken": "not-a-token"}]},
        )
    assert recents.status_code == 200
    body = recents.json()
    assert len(body["records"]) == 10 and body["continuationMarker"] and body["syncToken"]
    assert set(body["records"][0]["fields"]) == {"TitleEncrypted", "ModificationDate"}
    zone = changes.json()["zones"][0]
    titles = {
        base64.b64decode(r["fields"]["TitleEncrypted"]["value"]).decode() for r in zone["records"]
    }
    assert {"Notes", "Recently Deleted"} <= titles and zone["moreComing"] is False
    found = lookup.json()["records"]
    assert found[0]["recordName"] == first and "TextDataEncrypted" in found[0]["fields"]
    assert found[1]["serverErrorCode"] == "NOT_FOUND"
    assert bad.status_code < 500
    assert "serverErrorCode" in str(bad.json())


async def test_call_and_safari_history_listings(service_client: ServiceClient) -> None:
    async with service_client("ckdatabasews") as client:
        zones = await client.post(f"{CALLS}/zones/list", json={})
        calls = await client.post(
            f"{CALLS}/records/query",
            json={
                "query": {"recordType": "CallRecord"},
                "zoneID": {"zoneName": "CallHistory"},
                "resultsLimit": 25,
            },
        )
        visits = await client.post(
            f"{SAFARI}/changes/zone",
            json={"zones": [{"zoneID": {"zoneName": "History"}}], "resultsLimit": 100},
        )
    assert [z["zoneID"]["zoneName"] for z in zones.json()["zones"]] == ["CallHistory"]
    assert len(calls.json()["records"]) == 25
    zone = visits.json()["zones"][0]
    assert len(zone["records"]) == 100 and zone["moreComing"] is True


async def test_callkit_uninitialised_over_the_wire(
    world: SandboxWorld, service_client: ServiceClient
) -> None:
    account = make_account(
        ContentSpec(seed=2, calls=10, callkit="uninitialised"), apple_id="una@sandbox.test"
    )
    world.accounts[account.apple_id] = account
    async with service_client("ckdatabasews") as client:
        client.cookies.set("X-APPLE-WEBAUTH-TOKEN", world.issue_web_session(account).token)
        zones = await client.post(f"{CALLS}/zones/list", json={})
        query = await client.post(
            f"{CALLS}/records/query",
            json={"query": {"recordType": "CallRecord"}, "zoneID": {"zoneName": "CallHistory"}},
        )
    assert zones.json()["zones"] == []
    assert query.json()["serverErrorCode"] == "ZONE_NOT_FOUND"
