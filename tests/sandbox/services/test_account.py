from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from cloudtap.sandbox.accounts.model import SandboxAccount
from tests.sandbox.services.conftest import ServiceClient


async def test_devices_family_and_storage(
    service_client: ServiceClient, account: SandboxAccount
) -> None:
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


async def test_payment_methods_are_the_wallet_devices_cards(
    service_client: ServiceClient, account: SandboxAccount
) -> None:
    async with service_client("setup") as client:
        reply = (await client.get("/setup/web/device/getDevices")).json()
        family = (await client.get("/setup/web/family/getFamilyDetails")).json()
    cards = reply["paymentMethods"]
    assert cards and {c["balanceStatus"] for c in cards} == {"NOTAPPLICABLE"}
    assert all(re.fullmatch(r"\d{4}", c["lastFourDigits"]) for c in cards)
    ids = [c["id"] for c in cards]
    held = [d["paymentMethods"] for d in reply["devices"]]
    assert ids in held and all(h in (ids, []) for h in held)
    if family["isMemberOfFamily"]:
        inner = family["family"]
        assert inner["invitations"] == inner["transferRequests"] == []
        assert inner["outgoingTransferRequests"] == [] and inner["etag"]


async def test_account_needs_a_session(service_client: ServiceClient) -> None:
    async with service_client("setup", signed_in=False) as client:
        reply = await client.get("/setup/web/device/getDevices")
    assert reply.status_code == 421


ACCOUNT_FIXTURES = Path(__file__).parents[2] / "fixtures" / "pyicloud" / "account"


def _fixture(name: str) -> Any:
    return json.loads((ACCOUNT_FIXTURES / name).read_text(encoding="utf-8"))


async def test_devices_and_storage_have_the_fixtures_shape(service_client: ServiceClient) -> None:
    async with service_client("setup") as client:
        devices = (await client.get("/setup/web/device/getDevices")).json()
        storage = (await client.post("/setup/ws/1/storageUsageInfo")).json()
    captured = _fixture("account_devices_working.json")
    assert set(captured) <= set(devices)
    device_keys = set().union(*(set(d) for d in captured["devices"]))
    assert all(set(d) == device_keys for d in devices["devices"])
    # "OSX;10.15.3", "iOS;13.3": the OS and its version joined by a semicolon.
    assert all(re.fullmatch(r"[A-Za-z]+;[\d.]+", d["osVersion"]) for d in devices["devices"])
    # The serial is masked but for its last five characters, as captured.
    assert all(re.fullmatch(r"\u25cf{7}\w{5}", d["serialNumber"]) for d in devices["devices"])
    captured_storage = _fixture("account_storage_working.json")
    assert set(captured_storage) <= set(storage)
    assert set(captured_storage["storageUsageInfo"]) <= set(storage["storageUsageInfo"])
    assert set(captured_storage["quotaStatus"]) <= set(storage["quotaStatus"])
