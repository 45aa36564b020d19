from __future__ import annotations


async def test_devices_family_and_storage(service_client, account) -> None:
    async with service_client("setup") as client:
        devices = (await client.get("/setup/web/device/getDevices")).json()["devices"]
        family = (await client.get("/setup/web/family/getFamilyDetails")).json()
        storage = (await client.post("/setup/ws/1/storageUsageInfo")).json()
    assert devices and all(d["serialNumber"] and d["osVersion"] for d in devices)
    assert len(family["familyMembers"]) == account.content.family_members + 1
    assert family["familyMembers"][0]["appleId"] == account.apple_id
    info = storage["storageUsageInfo"]
    assert 0 < info["usedStorageInBytes"] <= info["totalStorageInBytes"]
    assert {m["mediaKey"] for m in storage["storageUsageByMedia"]} >= {"photos", "docs"}


async def test_account_needs_a_session(service_client) -> None:
    async with service_client("setup", signed_in=False) as client:
        reply = await client.get("/setup/web/device/getDevices")
    assert reply.status_code == 421
