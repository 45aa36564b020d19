from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.services.findmy import DELAY_ENV, parse_delay
from tests.sandbox.services.conftest import ServiceClient

CONTEXT = {
    "appName": "iCloud Find (Web)",
    "appVersion": "2.0",
    "apiVersion": "3.0",
    "deviceListVersion": 1,
    "fmly": True,
    "timezone": "US/Pacific",
    "inactiveTime": 0,
}
BASE = "/fmipservice/client/web"


@pytest.fixture(autouse=True)
def _fast_locate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DELAY_ENV, "0.2-0.4")


async def test_locations_fill_in_on_a_later_refresh(
    service_client: ServiceClient, account: SandboxAccount
) -> None:
    async with service_client("fmipweb") as client:
        first = (await client.post(f"{BASE}/initClient", json={"clientContext": CONTEXT})).json()
        assert all(d["location"] is None for d in first["content"])
        assert any(d["isLocating"] for d in first["content"])
        await asyncio.sleep(0.5)
        body = {
            "clientContext": {**CONTEXT, "shouldLocate": True, "selectedDevice": "all"},
            "serverContext": first["serverContext"],
            "isUpdatingAllLocations": True,
        }
        later = (await client.post(f"{BASE}/refreshClient", json=body)).json()
    located = [d for d in later["content"] if d["location"]]
    unreachable = [d for d in later["content"] if d["deviceStatus"] == "201"]
    assert located and unreachable
    assert len(located) + len(unreachable) == len(later["content"])
    loc = located[0]["location"]
    assert -90 <= loc["latitude"] <= 90 and loc["timeStamp"] > 0 and loc["locationFinished"]
    assert all(d["location"] is None for d in unreachable)


async def test_devices_of_several_kinds_with_battery(service_client: ServiceClient) -> None:
    async with service_client("fmipweb") as client:
        reply = (await client.post(f"{BASE}/initClient", json={"clientContext": CONTEXT})).json()
    classes = {d["deviceClass"] for d in reply["content"]}
    assert {"iPhone", "iPad", "MacBookPro", "Watch", "Accessory"} <= classes
    phone = next(d for d in reply["content"] if d["deviceClass"] == "iPhone")
    assert 0 < phone["batteryLevel"] <= 1 and phone["batteryStatus"] != "Unknown"
    airpods = next(d for d in reply["content"] if d["deviceClass"] == "Accessory")
    assert airpods["batteryStatus"] == "Unknown"


async def test_family_members_load_then_are_done(
    service_client: ServiceClient, account: SandboxAccount
) -> None:
    async with service_client("fmipweb") as client:
        first = (await client.post(f"{BASE}/initClient", json={"clientContext": CONTEXT})).json()
        again = (await client.post(f"{BASE}/refreshClient", json={"clientContext": CONTEXT})).json()
        own = (
            await client.post(
                f"{BASE}/refreshClient", json={"clientContext": {**CONTEXT, "fmly": False}}
            )
        ).json()
    members = first["userInfo"]["membersInfo"]
    assert first["userInfo"]["hasMembers"] and len(members) == account.content.family_members
    assert {m["deviceFetchStatus"] for m in members.values()} == {"LOADING"}
    assert {m["deviceFetchStatus"] for m in again["userInfo"]["membersInfo"].values()} == {"DONE"}
    assert {d["prsId"] for d in first["content"]} - {None}  # family devices are listed
    assert {d["prsId"] for d in own["content"]} == {None}  # ...only with fmly


async def test_actions_answer_with_the_device_list(service_client: ServiceClient) -> None:
    async with service_client("fmipweb") as client:
        devices = (await client.post(f"{BASE}/initClient", json={})).json()["content"]
        sound = await client.post(
            f"{BASE}/playSound", json={"device": devices[0]["id"], "subject": "Find"}
        )
        missing = await client.post(f"{BASE}/playSound", json={"device": "nope"})
    assert sound.status_code == 200 and sound.json()["content"]
    assert missing.status_code == 400


async def test_malformed_body_is_a_400_not_a_crash(service_client: ServiceClient) -> None:
    async with service_client("fmipweb") as client:
        reply = await client.post(f"{BASE}/initClient", content=b"{not json")
        wrong = await client.post(f"{BASE}/initClient", json={"clientContext": [1]})
    assert reply.status_code == 400 and wrong.status_code == 400


def test_delay_knob_parsing() -> None:
    assert parse_delay(None) == (10.0, 30.0)
    assert parse_delay("0.5") == (0.5, 0.5)
    assert parse_delay("1-3") == (1.0, 3.0)
    with pytest.raises(ValueError):
        parse_delay("soon")
    with pytest.raises(ValueError):
        parse_delay("5-1")


async def test_a_stale_cycle_shows_old_fixes_until_new_ones_arrive(
    service_client: ServiceClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloudtap.sandbox.services import findmy

    async with service_client("fmipweb") as client:
        await client.post(f"{BASE}/initClient", json={"clientContext": CONTEXT})
        await asyncio.sleep(0.5)
        fresh = (await client.post(f"{BASE}/refreshClient", json={})).json()["content"]
        monkeypatch.setattr(findmy, "FRESH_FOR", 0.0)  # the next call starts a new cycle
        stale = (await client.post(f"{BASE}/refreshClient", json={})).json()["content"]
    fixes = [d["location"] for d in fresh if d["location"]]
    old = [d["location"] for d in stale if d["location"]]
    assert fixes and len(old) == len(fixes)
    assert all(loc["isOld"] for loc in old) and not any(loc["isOld"] for loc in fixes)
    assert any(d["isLocating"] for d in stale)


FIXTURE = (
    Path(__file__).parents[2] / "fixtures" / "pyicloud" / "findmyiphone" / "fmi_family_working.json"
)


def _types(values: list[Any]) -> set[str]:
    return {type(v).__name__ for v in values}


# The fixture writes ids as placeholder strings; a real 2018 initClient reply (quoted in
# docs/apple-evidence.md "Find My") has serverContext.prsId as a number.
UNTYPED = {"serverContext.prsId"}


def _assert_carries(ours: list[dict[str, Any]], theirs: list[dict[str, Any]], where: str) -> None:
    """Every key the captured objects carry is in ours, with a type the capture shows."""
    for key in set().union(*theirs):
        captured = _types([t[key] for t in theirs if key in t])
        assert all(key in o for o in ours), f"{where}: {key} missing"
        if f"{where}.{key}" in UNTYPED:
            continue
        seen = _types([o[key] for o in ours])
        # int is a float's wire form in JSON; a null is fine where the capture has one.
        allowed = captured | ({"float"} if "int" in captured else set())
        allowed |= {"int"} if "float" in captured else set()
        assert seen <= allowed, f"{where}.{key}: {seen} not in captured {captured}"


async def test_reply_carries_every_captured_key(service_client: ServiceClient) -> None:
    theirs = json.loads(FIXTURE.read_text(encoding="utf-8"))
    async with service_client("fmipweb") as client:
        await client.post(f"{BASE}/initClient", json={"clientContext": CONTEXT})
        await asyncio.sleep(0.5)
        ours = (await client.post(f"{BASE}/refreshClient", json={"clientContext": CONTEXT})).json()
    assert set(theirs) <= set(ours)
    _assert_carries([ours["serverContext"]], [theirs["serverContext"]], "serverContext")
    _assert_carries([ours["userInfo"]], [theirs["userInfo"]], "userInfo")
    _assert_carries(
        list(ours["userInfo"]["membersInfo"].values()),
        list(theirs["userInfo"]["membersInfo"].values()),
        "membersInfo",
    )
    _assert_carries(ours["content"], theirs["content"], "device")
    _assert_carries(
        [d["features"] for d in ours["content"]],
        [d["features"] for d in theirs["content"]],
        "features",
    )
    located = [d["location"] for d in theirs["content"] if d["location"]]
    _assert_carries([d["location"] for d in ours["content"] if d["location"]], located, "location")


async def test_user_info_has_no_key_the_capture_lacks(service_client: ServiceClient) -> None:
    """No public reply shows ``hasCredentials`` or a member's ``isContactsLinked``."""
    theirs = json.loads(FIXTURE.read_text(encoding="utf-8"))["userInfo"]
    async with service_client("fmipweb") as client:
        reply = await client.post(f"{BASE}/initClient", json={"clientContext": CONTEXT})
    ours = reply.json()["userInfo"]
    assert set(ours) <= set(theirs)
    member_keys = {key for member in theirs["membersInfo"].values() for key in member}
    assert ours["membersInfo"]
    assert all(set(member) <= member_keys for member in ours["membersInfo"].values())


async def test_own_devices_have_no_prs_id_and_family_devices_their_members(
    service_client: ServiceClient, account: SandboxAccount
) -> None:
    """As captured: prsId is null on the account's own devices, the member's id on theirs."""
    async with service_client("fmipweb") as client:
        reply = (await client.post(f"{BASE}/initClient", json={"clientContext": CONTEXT})).json()
    members = set(reply["userInfo"]["membersInfo"])
    own = [d for d in reply["content"] if d["prsId"] is None]
    assert len(own) == account.content.devices
    assert {d["prsId"] for d in reply["content"] if d["prsId"] is not None} == members


ACTION_RECORDS = ("msg", "mesg", "snd", "lostDevice", "remoteLock")


async def test_past_actions_are_recorded_as_in_the_fixture(service_client: ServiceClient) -> None:
    """Some devices show the last sound, message, lost mode and lock, keyed as captured."""
    theirs = json.loads(FIXTURE.read_text(encoding="utf-8"))
    async with service_client("fmipweb") as client:
        ours = (await client.post(f"{BASE}/initClient", json={"clientContext": CONTEXT})).json()
    for key in ACTION_RECORDS:
        captured = [d[key] for d in theirs["content"] if isinstance(d[key], dict)]
        mine = [d[key] for d in ours["content"] if isinstance(d[key], dict)]
        assert mine and len(mine) < len(ours["content"]), key  # some devices, not all
        keys = set().union(*captured)
        assert all(set(record) == keys for record in mine), key
        assert all(isinstance(r["createTimestamp"], int) for r in mine), key
    for device in ours["content"]:
        if device["msg"] is not None:  # a message's short form, as in the fixture
            assert device["mesg"] == {
                k: device["msg"][k] for k in ("createTimestamp", "statusCode")
            }
