"""A capture of every other data type of ``rich@`` (contacts, calendar, notes, Find My,
calls, reminders, Safari history, Drive, albums): the scan passes it, and none of the
world's own personal values of any data type is in the file, taken from the generators
the sandbox serves from: contact values (names, e-mail addresses, phone numbers, streets,
companies, notes) and contact, calendar and event ids; events' titles, locations, notes,
attendees; notes' titles, text lines, folders, attachment file names; reminders' titles,
notes, lists, URLs, tags, location alarms; Drive's names; Safari's URLs and titles;
call handles and names; Find My's device and owner names and coordinates.

Looked for as the file's text, as each reply's decoded body and inside every base64
value of a reply, decoded and (gzip or zlib) inflated, as note and reminder documents
travel. A value is skipped only when it cannot be personal (``_is_personal``)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import gzip
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from cloudtap.capture.cassette import WrittenCapture, write_capture
from cloudtap.capture.run import Bounds, CaptureResult, capture
from cloudtap.icloud.connector import TransportOptions
from cloudtap.sandbox.accounts.model import ContentSpec
from cloudtap.sandbox.services.content import (
    calls,
    contacts,
    devices,
    drive,
    events,
    history,
    note_files,
    notes,
    reminders,
)
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
    first_name: str
    haystack: bytes  # the text, every decoded body and every decoded base64 value


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
    text = written.path.read_text(encoding="utf-8")
    haystack = _haystack(text)
    yield Captured(result, written, text, account.content, account.first_name, haystack)


_BASE64 = re.compile(r"^[A-Za-z0-9+/_-]{8,}={0,2}$")


def _inflated(blob: bytes) -> bytes:
    """The blob, and its inflated form when it is gzip or zlib (note and reminder bodies)."""
    for inflate in (gzip.decompress, zlib.decompress):
        try:
            return blob + b"\n" + inflate(blob)
        except (OSError, EOFError, zlib.error):
            continue
    return blob


def _strings(node: object) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _haystack(text: str) -> bytes:
    """Everything a reader of the file could recover, as bytes to search."""
    parts = [text.encode()]
    for interaction in yaml.safe_load(text)["interactions"]:
        for side in ("request", "response"):
            body = interaction[side].get("body")
            body = body.get("string") if isinstance(body, dict) else body
            if not isinstance(body, str):
                continue
            parts.append(body.encode())
            try:
                document = json.loads(body)
            except ValueError:
                continue
            for value in _strings(document):
                if not _BASE64.match(value):
                    continue
                padded = value + "=" * (-len(value) % 4)
                try:
                    blob = base64.b64decode(padded.replace("-", "+").replace("_", "/"))
                except (binascii.Error, ValueError):
                    continue
                parts.append(_inflated(blob))
    return b"\n".join(parts)


# Apple's own default names (a new account's list "Reminders", folder "Notes"), which
# Apple's protocol also uses as zone names: not the person's.
_APPLE_DEFAULT_NAMES = frozenset({"Notes", "Reminders", "Recently Deleted"})
_WORD = re.compile(r"^\w+$")


def _is_personal(value: str | None) -> bool:
    """The rule for what is looked for: a value with 4 letters or more, or 7 digits or
    more (a phone number), that is not one of Apple's default names. Shorter ones (a
    calculation's "56*5", a year, "Re") cannot name anyone and occur anywhere by chance."""
    if value is None or value in _APPLE_DEFAULT_NAMES:
        return False
    return sum(c.isalpha() for c in value) >= 4 or sum(c.isdigit() for c in value) >= 7


def _occurs(value: str, haystack: bytes) -> bool:
    """A phrase anywhere; a single word only as a whole value (quoted, a line, a
    length-prefixed protobuf string), as "Archive" is part of "NSKeyedArchiver"."""
    needles = {value.encode(), json.dumps(value)[1:-1].encode()}
    if not _WORD.match(value):
        return any(needle in haystack for needle in needles)
    edge = rb"[\x00-\x1f\"']"
    return any(
        re.search(rb"(?:^|" + edge + rb")" + re.escape(n) + rb"(?=$|" + edge + rb")", haystack)
        for n in needles
    )


def _leaked(captured: Captured, values: Iterable[str | None]) -> tuple[int, list[str]]:
    """How many values were looked for, and the ones found."""
    checked, found = 0, []
    for value in {v for v in values if _is_personal(v)}:
        assert value is not None
        checked += 1
        if _occurs(value, captured.haystack):
            found.append(value)
    return checked, sorted(found)


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


def test_no_event_value_of_the_world_is_in_the_capture(captured: Captured) -> None:
    spec, window = captured.spec, events.window()
    values: list[str | None] = []
    for index in range(spec.events):
        source = events.source(spec, events.first_occurrence(spec, index, window))
        values += [source.title, source.location, source.notes, source.url]
        values += [a.name for a in source.attendees] + [a.email for a in source.attendees]
    checked, found = _leaked(captured, values)
    assert checked >= 100
    assert found == []


def test_no_note_value_of_the_world_is_in_the_capture(captured: Captured) -> None:
    spec = captured.spec
    values: list[str | None] = [f.title for f in notes.folders(spec)]
    for index in range(spec.notes):
        note = notes.note(spec, index)
        values += [note.title, *(p.text for p in note.paragraphs)]
        for extra in note.extras:
            values += [extra.text, extra.url, extra.expression, *extra.cells]
        for file in (note_files.attachment_file(spec, index), note_files.drawing_file(spec, index)):
            if file is not None:
                values.append(file.filename)
    checked, found = _leaked(captured, values)
    assert checked >= 50
    assert found == []


def test_no_reminder_value_of_the_world_is_in_the_capture(captured: Captured) -> None:
    world = reminders.world(captured.spec)
    values: list[str | None] = [r.name for r in world.lists]
    for reminder in world.reminders:
        values += [reminder.title, reminder.notes, reminder.url]
        values += [name for _, name in reminder.tags]
        for alarm in reminder.alarms:
            if isinstance(alarm, reminders.LocationAlarm):
                values += [alarm.title, alarm.address]
    checked, found = _leaked(captured, values)
    assert checked >= 10
    assert found == []


def test_no_drive_name_of_the_world_is_in_the_capture(captured: Captured) -> None:
    values: list[str | None] = []
    for node in drive.small_tree(captured.spec).nodes:
        values.append(node.name)
        if node.extension:
            values.append(f"{node.name}.{node.extension}")
    checked, found = _leaked(captured, values)
    assert checked >= 10
    assert found == []


def test_no_safari_history_value_of_the_world_is_in_the_capture(captured: Captured) -> None:
    spec, now = captured.spec, datetime.now(UTC)
    visits = [history.visit(spec, index, now) for index in range(spec.history)]
    checked, found = _leaked(captured, [v.url for v in visits] + [v.title for v in visits])
    assert checked >= 20
    assert found == []


def test_no_call_value_of_the_world_is_in_the_capture(captured: Captured) -> None:
    spec, now = captured.spec, datetime.now(UTC)
    made = [calls.call(spec, index, now) for index in range(calls.synced_count(spec))]
    checked, found = _leaked(captured, [c.address for c in made] + [c.name for c in made])
    assert checked >= 20
    assert found == []


def test_no_find_my_value_of_the_world_is_in_the_capture(captured: Captured) -> None:
    spec = captured.spec
    found_devices = devices.devices(spec, captured.first_name, with_family=True)
    values: list[str | None] = []
    for device in found_devices:
        values += [device.name, device.owner_first_name]
        values += [json.dumps(device.latitude), json.dumps(device.longitude)]
    for member in range(1, spec.family_members + 1):
        values += [" ".join(devices.member_name(spec.seed, member))]
        values += [devices.member_apple_id(spec.seed, member)]
    checked, found = _leaked(captured, values)
    assert checked >= 10
    assert found == []


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
