"""A capture of every other data type of ``rich@`` (contacts, calendar, notes, Find My,
calls, reminders, Safari history, Drive, albums): the scan passes it, and none of the
world's own contact values (names, e-mail addresses, phone numbers, streets, companies,
notes) nor its contact, calendar and event ids is in the file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from cloudtap.capture.cassette import WrittenCapture, write_capture
from cloudtap.capture.run import Bounds, CaptureResult, capture
from cloudtap.icloud.connector import TransportOptions
from cloudtap.sandbox.accounts.model import ContentSpec
from cloudtap.sandbox.services.content import contacts, events
from tests.sandbox.conformance.shapes import key_paths
from tests.support.sandbox import live_sandbox

RICH = "rich@sandbox.cloudtap.dev"
TYPES = [
    "mme_contacts.contacts",
    "mme_calendar.events",
    "mme_notes.notes",
    "fmip.devices",
    "callkit.calls",
    "cloudkit_reminders.reminders",
    "cloudkit_safari.history",
    "icloud_drive.files",
    "icpl.albums",
]


@dataclass
class Captured:
    result: CaptureResult
    written: WrittenCapture
    text: str
    spec: ContentSpec


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Captured]:
    folder = tmp_path_factory.mktemp("content")
    with live_sandbox(folder / "apple") as sandbox:
        transport = TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
        result = asyncio.run(
            capture(transport, RICH, "sandbox-password", TYPES, Bounds(300, 4), str)
        )
        account = sandbox.world.account(RICH)
        assert account is not None
    written = write_capture(result.exchanges, folder / "capture_content.yml")
    yield Captured(result, written, written.path.read_text(encoding="utf-8"), account.content)


def test_every_data_type_was_listed_and_written(captured: Captured) -> None:
    assert set(captured.result.items) == set(TYPES)
    assert captured.result.items["mme_contacts.contacts"] >= 100
    assert captured.written.interactions == len(captured.result.exchanges)


def test_no_contact_value_of_the_world_is_in_the_capture(captured: Captured) -> None:
    spec = captured.spec
    found = []
    checked = 0
    for index in range(spec.contacts):
        person = contacts.person(spec, index)
        values = [
            person.contact_id,
            f"{person.first} {person.last}",
            person.company,
            person.notes,
            *(e.value for e in person.emails),
            *(p.value for p in person.phones),
            *(a.street for a in person.addresses),
        ]
        for value in values:
            if value is None or len(value) < 6:
                continue
            checked += 1
            if value in captured.text or json.dumps(value)[1:-1] in captured.text:
                found.append(f"contact {index}: {len(value)} characters")
    assert checked > 1000
    assert found == []


def test_no_calendar_or_event_id_of_the_world_is_in_the_capture(captured: Captured) -> None:
    spec = captured.spec
    ids = [events.event_guid(spec, i) for i in range(spec.events)]
    ids += [c["guid"] for c in events.collections(spec)]
    assert len(ids) > 2000
    assert [i for i in ids if i in captured.text] == []


def test_every_key_and_type_is_kept_but_keys_that_are_people(captured: Captured) -> None:
    document = yaml.safe_load(captured.text)
    changed = []
    for raw, kept in zip(captured.result.exchanges, document["interactions"], strict=True):
        try:
            original = json.loads(raw.response_body or b"")
        except ValueError:
            continue
        ours = key_paths(json.loads(kept["response"]["body"]["string"]))
        if ours != key_paths(original):
            changed.append(raw.url.split("?")[0])
    # Only Find My's member map is keyed by DSIDs, which are people (docs/capture.md).
    assert all(url.endswith("/fmipservice/client/web/initClient") for url in changed), changed


def test_the_request_bound_stops_a_listing_where_it_is(tmp_path: Path) -> None:
    with live_sandbox(tmp_path / "apple") as sandbox:
        transport = TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
        result = asyncio.run(
            capture(transport, RICH, "sandbox-password", ["icpl.photos"], Bounds(1000, 2), str)
        )
    listing = [e for e in result.exchanges if "ckdatabasews" in e.url]
    assert len(listing) == 2
    assert result.items == {"icpl.photos": 0} and result.errors == {}
    assert result.exchanges[-1].url.split("?")[0].endswith("/logout")
