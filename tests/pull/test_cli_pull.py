"""``cloudtap pull`` in a pseudo-terminal against the sandbox: a 2FA account (the code
prompt answered), all nine data types, every export checked against the sandbox
world's own values, then a second pull that fetches nothing and asks Apple little."""

from __future__ import annotations

import csv
import json
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pexpect
import pytest
import vobject
from icalendar import Calendar

from cloudtap.icloud.datatypes.common import stable_id
from cloudtap.icloud.files.icpl import PhotoFileRef
from cloudtap.sandbox.hosts import CONTENT
from cloudtap.sandbox.services.content import calls as calls_gen
from cloudtap.sandbox.services.content import contacts as contacts_gen
from cloudtap.sandbox.services.content import devices as devices_gen
from cloudtap.sandbox.services.content import note_files
from cloudtap.sandbox.services.content import notes as notes_gen
from tests.pull.ground_truth import (
    as_list,
    data_uri_bytes,
    front_matter,
    ics_value,
    instant,
    note_file_bytes,
    note_text,
    person_for,
    photo_bytes,
    photo_index,
    raw_photo_uris,
    vcard_date,
    vcard_type,
    visible_photos,
    world_events,
)
from tests.pull.sandbox_world import (
    CODE,
    PASSWORD,
    TWO_FA,
    PullSandbox,
    spawn_pull,
)

SHARED_ALBUMS = "icpl.shared_albums"  # pulled with photos: shared-albums/
EVERY = (
    "icpl.photos",
    "mme_contacts.contacts",
    "mme_calendar.events",
    "mme_notes.notes",
    "cloudkit_reminders.reminders",
    "callkit.calls",
    "cloudkit_safari.history",
    "fmip.devices",
    "icloud_drive.files",
)


# The machine's zone: photo folders are local days (as icloudpd's), not UTC ones.
MACHINE_ZONE = "America/Los_Angeles"


def _spawn(sandbox: PullSandbox, tmp_path: Path, root: Path) -> pexpect.spawn:
    return spawn_pull(
        sandbox, tmp_path, TWO_FA, "--to", str(root), timeout=300, extra_env={"TZ": MACHINE_ZONE}
    )


def _finish(child: pexpect.spawn) -> str:
    child.expect(pexpect.EOF)
    child.close()
    output = str(child.before)
    assert child.exitstatus == 0, output
    return output


def _first_pull(sandbox: PullSandbox, tmp_path: Path, root: Path) -> str:
    child = _spawn(sandbox, tmp_path, root)
    child.expect(f"Apple ID password for {TWO_FA}: ")
    child.sendline(PASSWORD)
    child.expect("Two-factor code")
    child.sendline(CODE)
    return _finish(child)


def test_pull_in_a_terminal(pull_sandbox: PullSandbox, tmp_path: Path) -> None:
    root = tmp_path / "copy"
    account = pull_sandbox.account(TWO_FA)
    output = _first_pull(pull_sandbox, tmp_path, root)
    assert PASSWORD not in output and CODE not in output  # never echoed
    # The live progress: per data type, items and files done/total, with rich's bar.
    assert re.search(r"icpl\.photos\s+\d+ items\s+\d+/\d+ files", output), output[-2000:]
    assert "━" in output
    manifest = json.loads((root / "manifest.json").read_text())
    for data_type in EVERY:
        entry = manifest["data_types"][data_type]
        assert "error" not in entry and entry["count"] > 0, (data_type, entry)
    # Nothing secret is kept by the pull: only ids of the API's (sealed) session.
    state = json.dumps(manifest)
    assert PASSWORD not in state and set(manifest["account"]) == {"apple_id", "user", "session"}

    _check_contacts(root, account, manifest)
    _check_calendars(root, account)
    _check_photos(root, pull_sandbox, account, manifest)
    _check_tables(root, account, manifest)
    _check_notes(root, account, manifest)

    # Second pull: asks nothing, fetches nothing, at most 3 Apple requests per data type.
    files_before = dict(manifest["files"])
    before = len(pull_sandbox.running.exchanges())
    child = _spawn(pull_sandbox, tmp_path, root)
    output = _finish(child)
    assert "password" not in output.lower()
    exchanges = pull_sandbox.running.exchanges()[before:]
    manifest = json.loads((root / "manifest.json").read_text())
    run = manifest["runs"][-1]
    assert run["files_fetched"] == 0 and manifest["files"] == files_before
    assert not [e for e in exchanges if e.host == CONTENT], "a file was downloaded again"
    per_type: dict[str, list[str]] = {}
    for data_type, report in run["data_types"].items():
        window = (report["listing_started"], report["files_finished"])
        in_window = [e for e in exchanges if window[0] <= e.started <= window[1]]
        per_type[data_type] = [f"{e.method} {e.host}{e.path}" for e in in_window]
    print("Apple requests per data type on the second pull:", json.dumps(per_type, indent=1))
    assert set(per_type) == {*EVERY, SHARED_ALBUMS}
    for data_type, calls in per_type.items():
        # Shared albums have no change feed: listed whole, their album list and one page
        # for the shared albums' listing, the same for their photos (one small album).
        assert len(calls) <= (4 if data_type == SHARED_ALBUMS else 3), (data_type, calls)
    # Requests outside every data type's window: only the (API-side) session check.
    assert len(exchanges) <= sum(len(c) for c in per_type.values()) + 2, exchanges


def _check_contacts(root: Path, account: Any, manifest: dict[str, Any]) -> None:
    text = (root / "contacts/contacts.vcf").read_text()
    cards = list(vobject.readComponents(text))
    photo_uris = raw_photo_uris(text)
    assert sorted(c.uid.value for c in cards) == sorted(contacts_gen.contact_ids(account.content))
    photos = 0
    for card in cards:
        assert card.version.value == "4.0"
        person, photo = person_for(account, card.uid.value)
        name = card.n.value
        assert (name.family, name.given, name.additional, name.prefix, name.suffix) == (
            person.last or "",
            person.first or "",
            person.middle or "",
            person.prefix or "",
            person.suffix or "",
        )
        assert card.fn.value
        assert ("kind" in card.contents) == person.is_company
        for prop, value in (
            ("nickname", person.nickname),
            ("title", person.job_title),
            ("note", person.notes),
            ("x-phonetic-first-name", person.phonetic_first),
            ("x-phonetic-last-name", person.phonetic_last),
            ("x-phonetic-org", person.phonetic_company),
        ):
            got = [line.value for line in card.contents.get(prop, [])]
            assert got == ([] if value is None else [value]), (prop, got, value)
        org = [line.value for line in card.contents.get("org", [])]
        if person.company is None and person.department is None:
            assert org == []
        else:
            unit = [person.department] if person.department else []
            assert org == [[person.company or "", *unit]]
        bday = [line.value for line in card.contents.get("bday", [])]
        assert bday == ([vcard_date(person.birthday)] if person.birthday else [])
        categories = [line.value for line in card.contents.get("categories", [])]
        assert categories == ([list(person.groups)] if person.groups else [])

        def typed(prop: str, c: Any = card) -> list[tuple[str, str]]:
            return [(line.value, line.type_param) for line in c.contents.get(prop, [])]

        assert typed("tel") == [(p.value, vcard_type(p.label)) for p in person.phones]
        assert typed("email") == [(e.value, vcard_type(e.label)) for e in person.emails]
        assert typed("url") == [(u.value, vcard_type(u.label)) for u in person.urls]
        assert typed("related") == [(r.value, vcard_type(r.label)) for r in person.related_names]
        dates = [(d.value.replace("-", ""), d.label) for d in person.dates]
        anniversaries = [line.value for line in card.contents.get("anniversary", [])]
        others = [(line.value, line.type_param) for line in card.contents.get("x-abdate", [])]
        assert anniversaries == [v for v, label in dates if label == "ANNIVERSARY"]
        assert others == [(v, vcard_type(label)) for v, label in dates if label != "ANNIVERSARY"]
        addresses = [
            (
                line.value.street,
                line.value.city,
                line.value.region,
                line.value.code,
                line.value.country,
                line.type_param,
                line.params.get("X-COUNTRY-CODE"),
            )
            for line in card.contents.get("adr", [])
        ]
        assert addresses == [
            (
                a.street,
                a.city,
                a.state,
                a.postal_code,
                a.country,
                vcard_type(a.label),
                [a.country_code],
            )
            for a in person.addresses
        ]
        ims = [
            (line.value.split(":", 1)[1], line.type_param, line.params.get("X-SERVICE-TYPE"))
            for line in card.contents.get("impp", [])
        ]
        assert ims == [
            (i.user, vcard_type(i.label), [i.service] if i.service else None) for i in person.ims
        ]
        profiles = [
            (line.value, line.type_param, line.params.get("X-USER"))
            for line in card.contents.get("x-socialprofile", [])
        ]
        assert profiles == [(p.url, vcard_type(p.label), [p.user]) for p in person.profiles]
        got_photo = [data_uri_bytes(uri) for uri in photo_uris.get(card.uid.value, [])]
        assert got_photo == ([photo] if photo is not None else [])
        photos += photo is not None
    assert photos > 0
    photo_files = [
        f for f in manifest["files"].values() if f["data_type"] == "mme_contacts.contacts"
    ]
    assert len(photo_files) == photos


def _check_calendars(root: Path, account: Any) -> None:
    found: dict[str, tuple[str, Any]] = {}
    in_file: dict[str, Any] = {}
    for path in sorted((root / "calendars").glob("*.ics")):
        calendar = Calendar.from_ical(path.read_bytes())
        assert str(calendar["x-wr-calname"]) == path.stem
        zones = {str(tz["tzid"]): tz for tz in calendar.timezones}
        for event in calendar.walk("VEVENT"):
            tzid = event["dtstart"].params.get("TZID")
            assert tzid is None or tzid in zones, tzid  # every zone is defined in the file
            found[str(event["uid"])] = (path.stem, event)
            if tzid is not None:  # read by the file's own VTIMEZONE rules, not by name
                own_rules = zones[tzid].to_tz(lookup_tzid=False)
                in_file[str(event["uid"])] = event.decoded("dtstart").replace(tzinfo=own_rules)
    world = world_events(account)
    assert set(found) == {e.master for e in world}
    zones_seen: set[str] = set()
    for source in world:
        calendar_name, event = found[source.master]
        assert calendar_name == source.calendar_title
        assert str(event["summary"]) == source.title
        for prop, value in (
            ("location", source.location),
            ("description", source.notes),
            ("url", source.url),
        ):
            got = event.get(prop)
            assert (None if got is None else str(got)) == (value or None), (prop, source)
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        assert start == ics_value(source.start, source.all_day)
        assert end == ics_value(source.end, source.all_day)
        if not source.all_day:
            assert event["dtstart"].params["TZID"] == source.zone
            assert start.utcoffset() == source.start.utcoffset()  # the zone's offset, DST too
            # The VTIMEZONE written in the file gives the same instant (its own rules).
            assert in_file[source.master].utcoffset() == source.start.utcoffset(), source.zone
            zones_seen.add(str(source.zone))
        rule = event.get("rrule")
        if source.recurrence is None:
            assert rule is None
        else:
            frequency, interval, count = source.recurrence
            assert rule["FREQ"] == [frequency.upper()]
            assert rule["INTERVAL"] == [interval] and rule["COUNT"] == [count]
        alarms = [a.decoded("trigger") for a in event.walk("VALARM")]
        alarm = source.alarm_minutes
        expected = [] if alarm is None else [-timedelta(minutes=alarm)]
        assert alarms == expected
        attendees = [
            (str(a).removeprefix("mailto:"), str(a.params["CN"]), str(a.params["PARTSTAT"]))
            for a in as_list(event.get("attendee", []))
        ]
        assert attendees == [(a.email, a.name, a.status) for a in source.attendees]
        organisers = [str(o).removeprefix("mailto:") for o in as_list(event.get("organizer", []))]
        assert organisers == [a.email for a in source.attendees if a.organiser]
        assert str(event["transp"]) == ("OPAQUE" if source.busy else "TRANSPARENT")
    assert len(zones_seen) > 2  # events abroad kept their own zones


def _check_photos(root: Path, sandbox: PullSandbox, account: Any, manifest: dict[str, Any]) -> None:
    pulled: dict[tuple[str, int], dict[str, str]] = {}
    for file_id, entry in manifest["files"].items():
        if entry["data_type"] != "icpl.photos":
            continue
        ref = PhotoFileRef.parse(file_id)
        index = photo_index(account, ref.zone_name, ref.record_name)
        path = root / entry["path"]
        expected = photo_bytes(sandbox.world, account, ref.zone_name, index, ref.resource)
        assert path.read_bytes() == expected, entry["path"]  # byte-exact
        pulled.setdefault((ref.zone_name, index), {})[ref.resource] = entry["path"]
    world = visible_photos(account)
    assert set(pulled) == {(p.zone, p.index) for p in world}
    kinds: set[str] = set()
    zone = ZoneInfo(MACHINE_ZONE)
    # Some photos were taken late in the day in UTC: their local day is the one before.
    assert any(p.captured.astimezone(zone).date() != p.captured.date() for p in world)
    for photo in world:
        files = pulled[(photo.zone, photo.index)]
        original = files["resOriginal"]
        day = photo.captured.astimezone(zone).strftime("%Y/%m/%d")
        # Same name on the same day (the Shared Library's numbering repeats): one of them
        # gets its item id's start, as icloudpd's name-id7 policy does.
        stem, ext = photo.filename.rsplit(".", 1)
        assert re.fullmatch(rf"photos/{day}/{stem}(-[0-9a-f]{{7}})?\.{ext}", original), original
        assert os.stat(root / original).st_mtime == photo.captured.timestamp()
        live = files.get("resOriginalVidCompl")
        if live is not None:  # beside its still, same stem
            assert live.rsplit(".", 1)[0] == original.rsplit(".", 1)[0]
        if "resJPEGFull" in files:
            assert files["resJPEGFull"].startswith(f"photos-edited/{day}/")
        if "resOriginalAlt" in files:
            assert files["resOriginalAlt"].startswith(f"photos-raw/{day}/")
        kinds.update(files)
    assert {"resOriginal", "resOriginalVidCompl"} <= kinds, kinds


def _check_tables(root: Path, account: Any, manifest: dict[str, Any]) -> None:
    spec = account.content
    with open(root / "calls/calls.csv", newline="") as fh:
        calls = list(csv.DictReader(fh))
    assert len(calls) == calls_gen.synced_count(spec)
    with open(root / "safari/history.csv", newline="") as fh:
        visits = list(csv.DictReader(fh))
    assert len(visits) == spec.history
    devices = json.loads((root / "findmy/devices.json").read_text())
    world_names = {d.name for d in devices_gen.devices(spec, account.first_name, True)}
    assert {d["name"] for d in devices} == world_names
    with open(root / "findmy/devices.csv", newline="") as fh:
        assert {row["name"] for row in csv.DictReader(fh)} == world_names
    notes = list((root / "notes").rglob("*.md"))
    assert len(notes) == manifest["data_types"]["mme_notes.notes"]["count"] > 0


def _check_notes(root: Path, account: Any, manifest: dict[str, Any]) -> None:
    """Each pulled note against the world's note: where it is (its folder), its front
    matter (title, folder, dates, pinned, locked), its text, and the files beside it
    (attachment and drawing, byte-exact, linked from the note)."""
    spec = account.content
    folders = {f.name: f.title for f in notes_gen.folders(spec)}
    pulled = {front_matter(p.read_text())[0]["id"]: p for p in (root / "notes").rglob("*.md")}
    world = [notes_gen.note(spec, i) for i in range(spec.notes)]
    live = [n for n in world if not n.deleted]
    assert set(pulled) == {stable_id("note", n.name) for n in live}  # deleted ones left out
    seen: set[str] = set()
    for note in live:
        path = pulled[stable_id("note", note.name)]
        meta, body = front_matter(path.read_text())
        folder = folders[note.folder]
        assert path.parent == root / "notes" / folder, path
        assert meta["title"] == note.title and meta["folder"] == folder
        assert round(instant(meta["created"]).timestamp() * 1000) == note.created_ms
        assert round(instant(meta["modified"]).timestamp() * 1000) == note.modified_ms
        assert (meta["pinned"], meta["locked"]) == (note.pinned, note.locked)
        text = note_text(note)
        if text is None:
            assert body.startswith("\n*This note is locked")
            assert not any(p.text and p.text in body for p in note.paragraphs), path
            seen.add("locked")
        else:
            assert body.startswith("\n" + text.rstrip("\n") + "\n"), path
        links = {unquote(link) for link in re.findall(r"\]\(([^)]+)\)", body)}
        beside = path.with_suffix("")
        for kind, file in (
            ("attachment", note_files.attachment_file(spec, note.index)),
            ("drawing", note_files.drawing_file(spec, note.index)),
        ):
            if file is None:
                continue
            [got] = [p for p in beside.glob(f"{file.name[:8]}*") if p.is_file()]
            assert got.read_bytes() == note_file_bytes(file), got  # byte-exact, beside it
            assert str(got.relative_to(path.parent)) in links  # and linked from the note
            if kind == "attachment":
                assert got.name.endswith(file.filename)
            seen.add(kind)
        for extra in note.extras:
            if extra.kind == "link" and extra.url and not note.locked:
                assert f"({extra.url})" in body
                seen.add("link")
            if extra.kind == "table" and not note.locked:
                assert all(f"- {cell}" in body for cell in extra.cells if cell)
                seen.add("table")
    note_files_pulled = [f for f in manifest["files"].values() if f["data_type"] == NOTES]
    assert len(note_files_pulled) == sum(
        1 for n in live for k in ("attachment", "drawing") if _has(spec, n, k)
    )
    # The world holds every case this check is meant to cover.
    assert {"locked", "attachment", "drawing", "link", "table"} <= seen, seen
    assert any(n.deleted for n in world) and any(n.title == "" for n in live)


NOTES = "mme_notes.notes"


def _has(spec: Any, note: Any, kind: str) -> bool:
    if kind == "attachment":
        return note_files.attachment_file(spec, note.index) is not None
    return note_files.drawing_file(spec, note.index) is not None


pytestmark = pytest.mark.timeout(900)
