"""``cloudtap capture`` against the sandbox standing in for Apple, on ``rich@``.

The capture holds none of the account's secrets (every cookie, token, SRP value and
header Apple's stand-in issued, taken from the raw exchanges) nor its personal values
(the world's own: Apple ID, names, DSID, every photo's file name, record names, dates,
locations); it keeps every key and JSON type of every reply. Replayed as a sandbox
account, cloudtap lists the same items, after the same mapping; pyicloud reads it too.
"""

from __future__ import annotations

import asyncio
import base64
import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloudtap.capture.cassette import write_capture
from cloudtap.capture.pseudonyms import Pseudonyms
from cloudtap.capture.run import Bounds, CaptureResult, capture
from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, Filters, JSONDict, TransportOptions
from cloudtap.icloud.recorder import RecordedExchange
from cloudtap.sandbox.accounts.model import GeneratedLibrary, SandboxAccount
from cloudtap.sandbox.photos import generator
from cloudtap.sandbox.photos.container import PRIMARY_ZONE, shared_zone_name
from cloudtap.sandbox.runtime import RunningSandbox
from tests.sandbox.compat.conftest import PYICLOUD, run_driver
from tests.sandbox.conformance.shapes import key_paths
from tests.support.sandbox import live_sandbox
from tests.support.venvs import client_venv

RICH = "rich@sandbox.cloudtap.dev"
PASSWORD = "sandbox-password"
REPLAYED = "replay-capture-rich@sandbox.cloudtap.dev"


@dataclass
class Captured:
    result: CaptureResult
    names: Pseudonyms
    path: Path
    account: SandboxAccount
    items: list[JSONDict]  # cloudtap's items from rich@ itself


def _transport(sandbox: RunningSandbox) -> TransportOptions:
    return TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))


async def _items(sandbox: RunningSandbox, apple_id: str) -> list[JSONDict]:
    connector = ICloudConnector(_transport(sandbox))
    outcome = await connector.login(Credentials(apple_id, PASSWORD), None)
    assert outcome.state == "active" and outcome.session_state
    return [i async for i in connector.fetch_items(outcome.session_state, "icpl.photos", Filters())]


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Captured]:
    folder = tmp_path_factory.mktemp("capture")
    with live_sandbox(folder / "apple") as sandbox:
        result = asyncio.run(
            capture(_transport(sandbox), RICH, PASSWORD, ["icpl.photos"], Bounds(100, 20), str)
        )
        names = Pseudonyms()
        path = folder / "captures" / "capture_rich.yml"
        write_capture(result.exchanges, path, names)
        account = sandbox.world.account(RICH)
        assert account is not None
        items = asyncio.run(_items(sandbox, RICH))
    yield Captured(result, names, path, account, items)


@pytest.fixture(scope="module")
def replay(
    captured: Captured, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningSandbox]:
    with live_sandbox(
        tmp_path_factory.mktemp("replay"),
        settings={"CLOUDTAP_SANDBOX_CAPTURES": str(captured.path.parent)},
    ) as running:
        yield running


def _world_values(account: SandboxAccount) -> dict[str, set[str]]:
    """Every personal value of rich@ the world holds, by kind."""
    library = account.photos
    assert isinstance(library, GeneratedLibrary)
    values: dict[str, set[str]] = {
        "account": {
            account.apple_id,
            account.password,
            account.dsid,
            account.first_name,
            account.full_name,
        },
        "file name": set(),
        "record name": set(),
        "date": set(),
        "location": set(),
    }
    zones = [(PRIMARY_ZONE, library.count), (shared_zone_name(library.seed), library.shared_count)]
    for zone, count in zones:
        for index in range(count):
            spec = generator.asset(library.seed, zone, index)
            values["file name"].add(spec.filename)
            values["file name"].add(base64.b64encode(spec.filename.encode()).decode())
            values["record name"] |= {spec.master_name, spec.asset_name}
            values["date"] |= {str(spec.asset_date_ms), str(spec.added_date_ms)}
            values["location"] |= {
                struct.pack(">d", spec.latitude).hex(),
                struct.pack(">d", spec.longitude).hex(),
            }
    values["zone"] = {shared_zone_name(library.seed).split("-", 1)[1]}
    return values


def _raw_secrets(exchanges: list[RecordedExchange]) -> set[str]:
    """Every secret the stand-in for Apple issued or was sent, from the raw exchanges."""
    found: set[str] = set()
    for exchange in exchanges:
        for name, value in [*exchange.request_headers, *exchange.response_headers]:
            lower = name.lower()
            if lower == "set-cookie":
                cookie = value.split(";", 1)[0].split("=", 1)[1].strip('"')
                found.add(cookie)
            elif lower == "cookie":
                found |= {c.split("=", 1)[1].strip('"') for c in value.split("; ")}
            elif lower in ("scnt", "x-apple-session-token", "x-apple-id-session-id"):
                found.add(value)
        for body in (exchange.request_body, exchange.response_body or b""):
            try:
                document = json.loads(body)
            except ValueError:
                continue
            if isinstance(document, dict):
                for key in ("a", "b", "c", "m1", "m2", "salt", "dsWebAuthToken", "trustToken"):
                    if isinstance(document.get(key), str):
                        found.add(document[key])
    return {s for s in found if len(s) >= 6}


def _decoded_blobs(text: str) -> list[bytes]:
    """Every encrypted-bytes field of every record replied (file names, locations...)."""
    document = yaml.safe_load(text)
    blobs = []
    for interaction in document["interactions"]:
        body = interaction["response"]["body"]["string"]
        if isinstance(body, str) and body.startswith("{"):
            for record in json.loads(body).get("records", []):
                for field in record.get("fields", {}).values():
                    if field.get("type") == "ENCRYPTED_BYTES":
                        blobs.append(base64.b64decode(field["value"]))
    return blobs


def test_the_capture_holds_none_of_the_accounts_secrets_or_personal_values(
    captured: Captured,
) -> None:
    text = captured.path.read_text(encoding="utf-8")
    secrets = _raw_secrets(captured.result.exchanges)
    assert len(secrets) >= 10  # cookies, session token, SRP values, scnt ...
    leaked = sorted(s[:4] for s in secrets if s in text)
    assert leaked == []
    world = _world_values(captured.account)
    assert len(world["file name"]) >= 120 and len(world["record name"]) >= 120
    for kind, values in world.items():
        if kind == "location":
            blobs = b"".join(_decoded_blobs(text)).hex()
            assert blobs and not [v for v in values if v in blobs], kind
            continue
        assert not [v for v in values if v and v in text], kind
    assert captured.path.stat().st_mode & 0o077 == 0


def test_every_key_and_type_of_every_reply_is_kept(captured: Captured) -> None:
    document = yaml.safe_load(captured.path.read_text(encoding="utf-8"))
    interactions = document["interactions"]
    assert len(interactions) == len(captured.result.exchanges)
    compared = 0
    for raw, kept in zip(captured.result.exchanges, interactions, strict=True):
        assert kept["response"]["status"]["code"] == raw.status
        assert sorted(kept["response"]["headers"]) == sorted(
            {"-".join(p[:1].upper() + p[1:] for p in k.split("-")) for k, _ in raw.response_headers}
        )
        try:
            original = json.loads(raw.response_body or b"")
        except ValueError:
            continue
        assert key_paths(json.loads(kept["response"]["body"]["string"])) == key_paths(original)
        compared += 1
    assert compared == len(interactions)


def test_the_summary_says_what_was_redacted(captured: Captured) -> None:
    summary = captured.names.summary
    for category in ("cookie", "email address", "file name", "identifier", "date"):
        assert summary[category] > 0, category


def _mapped(item: JSONDict, names: Pseudonyms) -> dict[str, Any]:
    """An item of rich@ itself, as the same redaction mapping makes it (ids aside: they
    hash the record names, which the mapping replaced)."""

    def shifted(text: str) -> str:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        return (moment + timedelta(days=names.shift_days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    return {
        "filename": names.mapping[item["filename"]],
        "date_created": shifted(item["date_created"]),
        "date_uploaded": shifted(item["date_uploaded"]),
        "files": [{k: v for k, v in f.items() if k != "id"} for f in item["files"]],
    }


def _unmapped(item: JSONDict) -> dict[str, Any]:
    return {
        "filename": item["filename"],
        "date_created": item["date_created"],
        "date_uploaded": item["date_uploaded"],
        "files": [{k: v for k, v in f.items() if k != "id"} for f in item["files"]],
    }


def test_replayed_items_equal_rich_items_after_the_same_mapping(
    captured: Captured, replay: RunningSandbox
) -> None:
    account = replay.world.account(REPLAYED)
    assert account is not None and account.scenario == "replay:capture_rich.yml"
    replayed = asyncio.run(_items(replay, REPLAYED))
    assert len(captured.items) == 63
    assert [_unmapped(i) for i in replayed] == [_mapped(i, captured.names) for i in captured.items]
    assert len({i["id"] for i in replayed}) == len(replayed)


@pytest.fixture(scope="session")
def pyicloud_venv() -> Path:
    return client_venv("pyicloud", PYICLOUD)


@pytest.mark.compat
def test_pyicloud_reads_the_replayed_capture(
    pyicloud_venv: Path, captured: Captured, replay: RunningSandbox, tmp_path: Path
) -> None:
    seen = run_driver(
        pyicloud_venv,
        "pyicloud_photos.py",
        [REPLAYED, PASSWORD, str(tmp_path / "cookies"), str(tmp_path / "first.bin")],
        replay,
        tmp_path,
    )
    # pyicloud's "All Photos" is the primary zone's library, as Apple's web client shows.
    primary = [i for i in captured.items if not _zone_of(i).startswith("SharedSync-")]
    assert 0 < len(primary) < len(captured.items)
    assert seen["count"] == len(primary)
    assert sorted(seen["filenames"]) == sorted(
        captured.names.mapping[i["filename"]] for i in primary
    )
    assert (tmp_path / "first.bin").stat().st_size == seen["first_size"] > 0


def _zone_of(item: JSONDict) -> str:
    """The zone in the item's first file id (``p:<zone>:<record>:<code>``, "P": primary)."""
    token = item["files"][0]["id"].removeprefix("icpl://")
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split(":")[1]
