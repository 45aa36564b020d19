"""The non-photo data types end to end through the sandbox proxy, in the seed's schemas."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cloudtap.icloud import errors
from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Filters, TransportOptions
from tests.icloud.client.conftest import RequestLog
from tests.icloud.datatypes.sandbox_session import download
from tests.icloud.datatypes.sandbox_session import items as _items
from tests.icloud.datatypes.sandbox_session import session as _session
from tests.support.sandbox import live_sandbox

ALL_DATA_TYPES = {
    "icpl.photos",
    "icpl.albums",
    "mme_contacts.contacts",
    "mme_calendar.events",
    "mme_notes.notes",
    "callkit.calls",
    "cloudkit_safari.history",
    "cloudkit_reminders.reminders",
    "fmip.devices",
    "icloud_drive.files",
}


def test_every_seed_data_type_is_offered(connector: ICloudConnector) -> None:
    assert set(connector.data_types()) == ALL_DATA_TYPES


async def test_contacts_schema_and_images(connector: ICloudConnector) -> None:
    state = await _session(connector, "rich")
    contacts = await _items(connector, state, "mme_contacts.contacts")
    assert len(contacts) == 300  # the rich account's ContentSpec
    assert len({c["id"] for c in contacts}) == 300
    for contact in contacts:
        assert contact["data_type"] == "mme_contacts.contact"
        assert contact["uid"] and (contact["last_name"] or contact["organisation"])
    # Some cards lack phones or e-mails (the world mixes them in); the book has both.
    kinds = {r["type"] for c in contacts for r in c["records"]}
    assert {"Phone", "Email", "IM", "Date", "RelatedName", "Profile"} <= kinds
    with_image = [c for c in contacts if c["image"]]
    assert with_image
    image = with_image[0]["image"]
    assert image["id"].startswith("mme_contact_image://") and image["extension"] == "jpg"
    data = await download(connector, state, image["id"])
    assert data[:3] == b"\xff\xd8\xff"  # a JPEG
    addresses = [r for c in contacts for r in c["records"] if r["type"] == "Address"]
    assert addresses and {"Street", "City", "ZIP", "Country"} <= set(addresses[0])


async def test_contacts_page_through_a_large_address_book(connector: ICloudConnector) -> None:
    state = await _session(connector, "contacts-10k")
    assert len(await _items(connector, state, "mme_contacts.contacts")) == 10_000


async def test_calendar_events(connector: ICloudConnector) -> None:
    state = await _session(connector, "rich")
    events = await _items(connector, state, "mme_calendar.events")
    assert len(events) >= 2_000  # recurring events add one item per occurrence
    assert len({e["id"] for e in events}) == len(events)
    assert any(e["all_day"] and len(e["start"]) == 10 for e in events)
    timed = next(e for e in events if not e["all_day"])
    assert timed["time_zone"] and datetime.fromisoformat(timed["start"]).tzinfo is not None
    assert any(e["recurrence"] for e in events)
    assert any(e["attendees"] for e in events)
    assert any(e["alarms"] for e in events)
    assert all(e["calendar"] for e in events)
    soon = datetime.now(UTC)
    window = await _items(
        connector, state, "mme_calendar.events", Filters(since=soon, until=soon + timedelta(30))
    )
    assert 0 < len(window) < len(events)


async def test_notes_bodies_are_decoded(connector: ICloudConnector) -> None:
    state = await _session(connector, "rich")
    notes = await _items(connector, state, "mme_notes.notes")
    assert 0 < len(notes) <= 200
    readable = [n for n in notes if not n["locked"]]
    assert readable and all(n["body"] is not None for n in readable)
    assert all(n["body"] for n in readable if n["title"])  # only empty notes have no text
    assert readable[0]["body"].startswith(readable[0]["title"])
    assert all(n["folder"] for n in notes)
    assert any(n["pinned"] for n in notes)
    assert any(n["attachments"] for n in notes)
    assert all(n["body"] is None for n in notes if n["locked"])


async def test_call_history(connector: ICloudConnector) -> None:
    state = await _session(connector, "rich")
    calls = await _items(connector, state, "callkit.calls")
    assert calls
    assert {c["direction"] for c in calls} == {"incoming", "outgoing"}
    assert {"phone", "facetime_audio", "facetime_video"} <= {c["service"] for c in calls}
    assert all(c["address"] and c["date"] for c in calls)


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("callkit-uninitialised", errors.CallkitUninitialised),
        ("callkit-sync-off", errors.CallkitSyncDisabled),
    ],
)
async def test_callkit_errors(
    connector: ICloudConnector, name: str, error: type[errors.ICloudError]
) -> None:
    state = await _session(connector, name)
    with pytest.raises(error):
        await _items(connector, state, "callkit.calls")


async def test_safari_history(connector: ICloudConnector) -> None:
    state = await _session(connector, "rich")
    visits = await _items(connector, state, "cloudkit_safari.history")
    assert len(visits) == 2_000
    assert all(v["url"].startswith("http") and v["date"] and v["device"] for v in visits)


async def test_find_my_locations_arrive_on_a_later_poll(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A sandbox of its own whose devices report 0.3 s after the first poll (Apple: 10-30 s).
    monkeypatch.setenv("CLOUDTAP_SANDBOX_FINDMY_DELAY", "0.3")
    with live_sandbox(tmp_path) as sandbox:
        connector = ICloudConnector(
            TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
        )
        state = await _session(connector, "rich")
        first = await _items(connector, state, "fmip.devices")
        assert first and not any(d["location"] for d in first)
        await asyncio.sleep(0.5)
        second = await _items(connector, state, "fmip.devices")
    assert [d["id"] for d in second] == [d["id"] for d in first]
    located = [d for d in second if d["location"]]
    assert located
    for device in second:
        assert device["data_type"] == "fmip.device"
        assert device["name"] and device["model_name"] and device["product_type"]
        assert isinstance(device["battery_level"], float)
    location = located[0]["location"]
    assert location["data_type"] == "location"
    assert isinstance(location["latitude"], float) and location["date_created"]


@pytest.mark.parametrize(
    "data_type",
    ["mme_notes.notes", "callkit.calls", "cloudkit_safari.history", "cloudkit_reminders.reminders"],
)
async def test_cloudkit_data_types_resume_from_their_cursor(
    connector: ICloudConnector, requests_made: RequestLog, data_type: str
) -> None:
    state = await _session(connector, "rich")
    stream = connector.fetch_items(state, data_type, Filters())
    assert [item async for item in stream]
    assert stream.cursor
    requests_made.clear()
    again = connector.fetch_items(state, data_type, Filters(cursor=stream.cursor))
    assert [item async for item in again] == []
    assert len([u for u in requests_made.urls if "changes/zone" in u]) == 1
    assert len(requests_made.urls) <= 2  # calls also read the CallKit sync state
