"""A capture of every data type of ``rich@``, replayed: cloudtap lists the same items of
every data type from the replay account as from ``rich@`` itself, after the same
redaction mapping; a call the capture never made gets the assumed error, not data."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from cloudtap.capture.cassette import write_capture
from cloudtap.capture.pseudonyms import Pseudonyms
from cloudtap.capture.run import Bounds, capture
from cloudtap.icloud.auth.flow import session_from_state
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, Filters, JSONDict, TransportOptions
from cloudtap.icloud.datatypes.common import stable_id
from cloudtap.sandbox.apple.account_json import partition_of, webservices
from cloudtap.sandbox.capture_replay import CaptureReplay, endpoint, selectors
from cloudtap.sandbox.hosts import service_url
from cloudtap.sandbox.photos.replay import replay_accounts
from cloudtap.sandbox.runtime import RunningSandbox
from tests.sandbox.compat.conftest import PYICLOUD, run_driver
from tests.support.sandbox import live_sandbox
from tests.support.venvs import client_venv

RICH = "rich@sandbox.cloudtap.dev"
REPLAYED = "replay-capture-every-type@sandbox.cloudtap.dev"
PASSWORD = "sandbox-password"
MAX_ITEMS = 100
COMMITTED = (
    Path(__file__).resolve().parents[1] / "fixtures" / "captures" / "capture_rich_every_type.yml"
)
# What the comparison leaves out, per data type, each for its reason. Everything else
# must be equal after the mapping (pseudonyms, dates shifted, ids hashed from them).
DIFFERS: dict[str, set[str]] = {
    "mme_contacts.contacts": set(),
    "mme_calendar.events": set(),
    "mme_notes.notes": set(),
    "fmip.devices": set(),
    "callkit.calls": set(),
    "cloudkit_reminders.reminders": set(),
    "cloudkit_safari.history": set(),
    "icloud_drive.files": set(),
    "icpl.albums": {
        "asset_count",  # the replayed library holds the captured photos, not the members
    },
}
TYPES = list(DIFFERS)
# Item keys whose values the redaction keeps (protocol: a file's extension, a recurrence's
# frequency, a record's type, Find My's device class, an IANA zone), even where the same
# word was free text elsewhere in the capture and got a pseudonym.
KEPT = {"extension", "frequency", "type", "product_type", "time_zone"}
DRIVE = "icloud_drive://"
# Albums whose names cloudtap gives itself (smart albums, the Shared Library): the
# replay keeps them.
NAMED_BY_CLOUDTAP = {"smart", "library"}
# The kinds of ``stable_id(kind, record name)`` cloudtap's items carry.
HASHED_KINDS = ("note", "call", "contact", "visit", "fmip", "reminder", "reminder_list", "event")
# Calendar times are wall clocks (Apple's date arrays): a day shifted across a DST change
# keeps its wall clock, not its UTC offset. Reminders' due dates are instants (CloudKit
# timestamps) read in their zone: the instant moves by whole days, the wall clock may not.
WALL_CLOCK = {"start", "end"}
INSTANTS = {"due_date"}
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")
_EXTENSION = re.compile(r"^[a-z][a-z0-9]{0,15}$")


@dataclass
class Replayed:
    path: Path  # the capture file
    names: Pseudonyms
    rich: dict[str, list[JSONDict]]
    replayed: dict[str, list[JSONDict]]
    sandbox: RunningSandbox


def _transport(sandbox: RunningSandbox) -> TransportOptions:
    return TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))


async def _login(sandbox: RunningSandbox, apple_id: str) -> JSONDict:
    outcome = await ICloudConnector(_transport(sandbox)).login(
        Credentials(apple_id, PASSWORD), None
    )
    assert outcome.state == "active" and outcome.session_state, outcome.error
    return outcome.session_state


async def _items(sandbox: RunningSandbox, apple_id: str) -> dict[str, list[JSONDict]]:
    """The first ``MAX_ITEMS`` items of every data type, as the capture's bound lists."""
    connector = ICloudConnector(_transport(sandbox))
    state = await _login(sandbox, apple_id)
    out: dict[str, list[JSONDict]] = {}
    for data_type in TYPES:
        listed: list[JSONDict] = []
        async for item in connector.fetch_items(state, data_type, Filters()):
            listed.append(item)
            if len(listed) >= MAX_ITEMS:
                break
        out[data_type] = listed
    return out


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replayed]:
    folder = tmp_path_factory.mktemp("every-type")
    # A fixed offset (runs repeat) of about five months: most dates cross a DST change.
    names = Pseudonyms(shift_days=-150)
    with live_sandbox(folder / "apple") as apple:
        # 80 requests: the calendar's month windows reach this year's events.
        result = asyncio.run(
            capture(_transport(apple), RICH, PASSWORD, TYPES, Bounds(MAX_ITEMS, 80), str)
        )
        assert result.errors == {}
        path = folder / "captures" / "capture_every_type.yml"
        write_capture(result.exchanges, path, names)
        rich = asyncio.run(_items(apple, RICH))
    with live_sandbox(
        folder / "replay", settings={"CLOUDTAP_SANDBOX_CAPTURES": str(folder / "captures")}
    ) as replay:
        yield Replayed(path, names, rich, asyncio.run(_items(replay, REPLAYED)), replay)


def _hashed_ids(names: Pseudonyms) -> dict[str, str]:
    """cloudtap's ids hashed from a record name (``stable_id(kind, name)``), each to the
    id it hashes from the name's pseudonym: how a replayed id follows from rich@'s."""
    return {
        stable_id(kind, original): stable_id(kind, made)
        for original, made in names.mapping.items()
        for kind in HASHED_KINDS
    }


def _mapped(value: Any, names: Pseudonyms, ids: dict[str, str] | None = None) -> Any:
    """A value of rich@ as the capture's mapping writes it: pseudonyms, dates shifted,
    ids hashed from the pseudonyms."""
    ids = _hashed_ids(names) if ids is None else ids
    if isinstance(value, dict):
        return {k: v if k in KEPT else _mapped(v, names, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_mapped(v, names, ids) for v in value]
    if isinstance(value, str):
        stem, dot, extension = value.rpartition(".")
        if dot and stem in names.mapping and _EXTENSION.match(extension):
            # A file name: Apple sends Drive's name and extension apart, and a name
            # with its extension maps its stem (the extension is kept).
            return f"{names.mapping[stem]}.{extension}"
        if value in names.mapping:
            return names.mapping[value]
        if value in ids:
            return ids[value]
        if "\n" in value:  # a note body: redacted line by line
            return "\n".join(_mapped(line, names, ids) for line in value.split("\n"))
        for cut in range(1, len(value)):
            # A note line with an inline attachment's text (a calculation's result)
            # after the mark: the text before it and the attachment's text map apart.
            head, tail = value[:cut], value[cut:]
            if head in names.mapping and tail in names.mapping:
                return names.mapping[head] + names.mapping[tail]
        scheme, sep, ident = value.partition("://")
        if scheme == "icloud_drive" and sep:
            return DRIVE + _drive_file_id(ident, names)
        if sep and (inner := _mapped(ident, names, ids)) != ident:
            return f"{scheme}{sep}{inner}"  # a file id cloudtap builds from a record name
        if "/" in value:  # a Drive path: its folder and file names, each mapped
            return "/".join(_mapped(part, names, ids) for part in value.split("/"))
        decoded = _base64_text(value)
        if decoded in names.mapping:  # a contact's uid: its contact id in base64
            return base64.b64encode(names.mapping[decoded].encode()).decode()
        album = _album_id(value, names)
        if album is not None:
            return album
        if _ISO.match(value):
            day = datetime.strptime(value[:10], "%Y-%m-%d") + timedelta(days=names.shift_days)
            return day.strftime("%Y-%m-%d") + value[10:]
    return value


def _drive_file_id(body: str, names: Pseudonyms) -> str:
    """``<zone>:<docwsid>:<size>:<extension>:<content etag>`` (URL-safe base64): the
    document id, the etag and a sharing owner's record name are the capture's
    pseudonyms, the rest is kept."""
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    parts = raw.split(":")
    for at in (1, 4, 5):
        if at < len(parts):
            parts[at] = names.mapping.get(parts[at], parts[at])
    return base64.urlsafe_b64encode(":".join(parts).encode()).decode().rstrip("=")


def _album_id(value: str, names: Pseudonyms) -> str | None:
    """An album id (URL-safe base64 of ``:``-joined parts: kind, zone, scope, record
    name) with its zone's and record's pseudonyms, as the replay's id; ``None`` for
    anything else."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, ValueError):
        return None
    if ":" not in raw:
        return None
    parts = [_zone_or_name(part, names) for part in raw.split(":")]
    made = ":".join(parts)
    return base64.urlsafe_b64encode(made.encode()).decode().rstrip("=") if made != raw else None


def _zone_or_name(part: str, names: Pseudonyms) -> str:
    kind, dash, ident = part.partition("-")
    if dash and kind.endswith("Sync") and ident in names.mapping:
        return f"{kind}-{names.mapping[ident]}"  # SharedSync-<uuid>: its kind kept
    return names.mapping.get(part, part)


def _base64_text(value: str) -> str | None:
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _compared(item: JSONDict, kept: set[str]) -> dict[str, Any]:
    out = {k: v for k, v in item.items() if k not in kept}
    for key in WALL_CLOCK & set(out):
        if isinstance(out[key], str):
            out[key] = out[key][:19]
    if isinstance(out.get("alarms"), list):  # a date alarm is a wall clock in its zone
        out["alarms"] = [
            {**a, "date": a["date"][:19]} if isinstance(a.get("date"), str) else a
            for a in out["alarms"]
        ]
    for key in INSTANTS & set(out):
        if isinstance(out[key], str):
            out[key] = _instant(out[key], item.get("time_zone"))
    return out


def _instant(text: str, zone: Any) -> datetime:
    """A moment in UTC: a wall clock without an offset is read in the item's zone (UTC
    when it names none)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone) if isinstance(zone, str) else UTC)
    return moment.astimezone(UTC)


@pytest.mark.parametrize("data_type", TYPES)
def test_replayed_items_equal_rich_items_after_the_same_mapping(
    replayed: Replayed, data_type: str
) -> None:
    rich = replayed.rich[data_type]
    ours = replayed.replayed[data_type]
    assert len(rich) > 0 and len(ours) == len(rich)
    kept = DIFFERS[data_type]
    ids = _hashed_ids(replayed.names)
    compared = 0
    for original, replay in zip(rich, ours, strict=True):
        assert set(replay) == set(original)
        expected = _compared(_mapped(original, replayed.names, ids), kept)
        if original.get("kind") in NAMED_BY_CLOUDTAP:
            expected["name"] = original["name"]
        if original.get("kind") == "smart":  # its id is made of its name
            expected["id"] = original["id"]
        days = timedelta(days=replayed.names.shift_days)
        for key in INSTANTS & set(expected):
            if isinstance(original[key], str):
                expected[key] = _instant(original[key], original.get("time_zone")) + days
        assert _compared(replay, kept) == expected
        compared += len(expected)
    assert compared >= len(rich) * 2


def test_the_replay_maps_personal_values_it_compares(replayed: Replayed) -> None:
    """The comparison is not trivially equal: contacts' names were replaced."""
    first = replayed.rich["mme_contacts.contacts"][0]
    again = replayed.replayed["mme_contacts.contacts"][0]
    assert first["first_name"] and again["first_name"] != first["first_name"]
    assert again["first_name"] == replayed.names.mapping[first["first_name"]]
    bodies = [
        (rich["body"], ours["body"])
        for rich, ours in zip(
            replayed.rich["mme_notes.notes"], replayed.replayed["mme_notes.notes"], strict=True
        )
        if rich["body"]
    ]
    # Note bodies come back as text of the same shape, never the original words.
    assert bodies and all(ours and ours != rich and len(ours) == len(rich) for rich, ours in bodies)


def test_a_call_the_capture_never_made_gets_cloudkits_error(replayed: Replayed) -> None:
    async def ask() -> tuple[int, JSONDict]:
        session = session_from_state(await _login(replayed.sandbox, REPLAYED))
        assert session is not None
        async with AppleClient(_transport(replayed.sandbox), session) as client:
            base = (client.session.service_url("ckdatabasews") or "").rstrip("/")
            url = f"{base}/database/1/com.apple.notes/production/private/zones/list"
            reply = await client.http.post(url, json={})
            return reply.status_code, reply.json()

    status, body = asyncio.run(ask())
    assert status == 400 and body["serverErrorCode"] == "BAD_REQUEST"


def test_account_login_offers_the_captured_services_on_the_replays_hosts(tmp_path: Path) -> None:
    """accountLogin's webservices are the capture's (its keys and statuses), each URL on
    the replay account's own partition: a service the captured account lacked is absent."""
    document = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))
    for interaction in document["interactions"]:
        if "/accountLogin" in interaction["request"]["uri"]:
            reply = json.loads(interaction["response"]["body"]["string"])
            del reply["webservices"]["findme"]
            reply["webservices"]["calendar"]["status"] = "inactive"
            interaction["response"]["body"]["string"] = json.dumps(reply)
    (tmp_path / "capture_edited.yml").write_text(yaml.safe_dump(document), encoding="utf-8")
    account = replay_accounts(tmp_path)[0]
    services = webservices(account)
    assert "findme" not in services and services["calendar"]["status"] == "inactive"
    partition = partition_of(account)
    assert services["contacts"]["url"] == service_url("contacts", partition)
    assert services["photos"]["uploadUrl"] == service_url("photosupload", partition)
    assert "redacted" not in json.dumps(services)


@pytest.fixture(scope="session")
def pyicloud_venv() -> Path:
    return client_venv("pyicloud", PYICLOUD)


def _captured_root_names(path: Path) -> list[str]:
    """The root folder's children in the capture's first Drive reply, as pyicloud names
    them (``name.extension``)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    for interaction in document["interactions"]:
        if interaction["request"]["uri"].split("?")[0].endswith("/retrieveItemDetailsInFolders"):
            root = json.loads(interaction["response"]["body"]["string"])[0]
            assert root["drivewsid"].endswith("::root")
            return sorted(
                f"{i['name']}.{i['extension']}" if "extension" in i else i["name"]
                for i in root["items"]
            )
    raise AssertionError("no Drive call in the capture")


@pytest.mark.compat
def test_pyicloud_reads_the_replayed_drive(
    pyicloud_venv: Path, replayed: Replayed, tmp_path: Path
) -> None:
    """pyicloud's own Drive call (the root folder, as it builds it) is matched to the
    capture's; its contacts read ``/co/contacts``, which cloudtap never asks, so a
    cloudtap capture cannot answer them (the replay answers what was captured)."""
    seen = run_driver(
        pyicloud_venv,
        "pyicloud_drive_root.py",
        [REPLAYED, PASSWORD, str(tmp_path / "cookies")],
        replayed.sandbox,
        tmp_path,
    )
    expected = _captured_root_names(replayed.path)
    assert len(expected) >= 3 and seen["root"] == expected


def _capture_of(tmp_path: Path, calls: list[tuple[str, str, str]]) -> Path:
    """A capture file of ``(uri, request body, reply body)`` POSTs."""
    interactions = [
        {
            "request": {"method": "POST", "uri": uri, "body": body},
            "response": {
                "status": {"code": 200, "message": ""},
                "headers": {"Content-Type": ["application/json"]},
                "body": {"string": reply},
            },
        }
        for uri, body, reply in calls
    ]
    path = tmp_path / "capture_unit.yml"
    path.write_text(yaml.safe_dump({"interactions": interactions}), encoding="utf-8")
    return path


def test_a_sync_token_picks_its_page_and_repeated_calls_come_back_in_captured_order(
    tmp_path: Path,
) -> None:
    changes = "https://p66-ckdatabasews.icloud.com/database/1/com.apple.notes/production/private/changes/zone?clientId=X&dsid=1"
    page = '{"zones":[{"zoneID":{"zoneName":"Notes"}%s}]}'
    path = _capture_of(
        tmp_path,
        [
            (changes, page % "", '{"page":1}'),
            (changes, page % ',"syncToken":"T1"', '{"page":2}'),
            ("https://p66-drivews.icloud.com/retrieveItemDetailsInFolders", "[]", '{"a":1}'),
            ("https://p66-drivews.icloud.com/retrieveItemDetailsInFolders", "[]", '{"a":2}'),
        ],
    )
    replay = CaptureReplay()
    notes = ("POST", "ckdatabasews", "/database/1/com.apple.notes/production/private/changes/zone")

    def body(key: tuple[str, str, str], query: str, sent: str, session: str = "s") -> bytes:
        found = replay.answer(session, path, key, selectors(query, sent))
        assert found is not None
        return found.body

    # The volatile parameters (another client id and dsid) do not matter.
    assert body(notes, "clientId=Y&dsid=2", page % ',"syncToken":"T1"') == b'{"page":2}'
    assert body(notes, "clientId=Y&dsid=2", page % "") == b'{"page":1}'
    drive = ("POST", "drivews", "/retrieveItemDetailsInFolders")
    assert [body(drive, "", "[]") for _ in range(3)] == [b'{"a":1}', b'{"a":2}', b'{"a":1}']
    assert body(drive, "", "[]", session="other") == b'{"a":1}'
    assert replay.answer("s", path, ("POST", "drivews", "/elsewhere"), frozenset()) is None
    assert (
        endpoint("POST", "p66-ckdatabasews.icloud.com", "/database/1/com.apple.photos.cloud/x")
        is None
    )
    assert endpoint("POST", "idmsa.apple.com", "/appleauth/auth/signin/init") is None


def test_a_dsid_in_the_path_is_volatile_as_in_the_query() -> None:
    """Shared streams put the dsid in the path: the replay account's own dsid (not the
    captured pseudonym) must find the captured call."""
    captured = endpoint("POST", "p66-sharedstreams.icloud.com", "/24878179598/sharedstreams/x")
    asked = endpoint("POST", "p79-sharedstreams.icloud.com", "/46494121982/sharedstreams/x")
    assert captured is not None and captured == asked
