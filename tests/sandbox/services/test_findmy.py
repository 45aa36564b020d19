from __future__ import annotations

import asyncio

import pytest

from cloudtap.sandbox.services.findmy import DELAY_ENV, parse_delay

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


async def test_locations_fill_in_on_a_later_refresh(service_client, account) -> None:
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


async def test_devices_of_several_kinds_with_battery(service_client) -> None:
    async with service_client("fmipweb") as client:
        reply = (await client.post(f"{BASE}/initClient", json={"clientContext": CONTEXT})).json()
    classes = {d["deviceClass"] for d in reply["content"]}
    assert {"iPhone", "iPad", "MacBookPro", "Watch", "Accessory"} <= classes
    phone = next(d for d in reply["content"] if d["deviceClass"] == "iPhone")
    assert 0 < phone["batteryLevel"] <= 1 and phone["batteryStatus"] != "Unknown"
    airpods = next(d for d in reply["content"] if d["deviceClass"] == "Accessory")
    assert airpods["batteryStatus"] == "Unknown"


async def test_family_members_load_then_are_done(service_client, account) -> None:
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
    owner = first["serverContext"]["prsId"]
    assert {d["prsId"] for d in first["content"]} - {owner}  # family devices are listed
    assert {d["prsId"] for d in own["content"]} == {owner}  # ...only with fmly


async def test_actions_answer_with_the_device_list(service_client) -> None:
    async with service_client("fmipweb") as client:
        devices = (await client.post(f"{BASE}/initClient", json={})).json()["content"]
        sound = await client.post(
            f"{BASE}/playSound", json={"device": devices[0]["id"], "subject": "Find"}
        )
        missing = await client.post(f"{BASE}/playSound", json={"device": "nope"})
    assert sound.status_code == 200 and sound.json()["content"]
    assert missing.status_code == 400


async def test_malformed_body_is_a_400_not_a_crash(service_client) -> None:
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
    service_client, monkeypatch: pytest.MonkeyPatch
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
