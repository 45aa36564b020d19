"""Replay accounts serve exactly the captured CPLMaster/CPLAsset records."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import yaml

from cloudtap.sandbox.accounts.model import ReplayLibrary
from cloudtap.sandbox.photos.counts import photo_count
from cloudtap.sandbox.photos.replay import load_capture, replay_accounts, replay_asset_count
from cloudtap.sandbox.world import SandboxWorld
from tests.sandbox.photos.support import PHOTOS, account, client_for, count, list_all


def captured_assets(path: Path) -> list[dict]:
    """The cassette's CPLAsset records, read independently of the replay module."""
    text = path.read_text()
    data = yaml.load(text.replace("!!python/unicode ", ""), Loader=yaml.CSafeLoader)
    out, seen = [], set()
    for item in data["interactions"]:
        if "/production/private/records/query" not in item["request"]["uri"]:
            continue
        body = item["response"]["body"]["string"]
        for rec in json.loads(body).get("records", []):
            if rec["recordType"] == "CPLAsset" and rec["recordName"] not in seen:
                seen.add(rec["recordName"])
                out.append(rec)
    return out


def test_one_no_2fa_account_per_listing_cassette(captures_dir: Path) -> None:
    accounts = replay_accounts(captures_dir)
    names = sorted(p.name for p in captures_dir.glob("listing_*.yml"))
    assert [a.scenario for a in accounts] == [f"replay:{n}" for n in names]
    assert all(a.auth == "none" and a.code is None for a in accounts)
    photos = next(a for a in accounts if a.scenario == "replay:listing_photos.yml")
    assert photo_count(photos) == replay_asset_count(captures_dir / "listing_photos.yml") > 100


async def test_replay_account_lists_exactly_the_captured_records(captures_dir: Path) -> None:
    cassette = captures_dir / "listing_photos.yml"
    who = next(a for a in replay_accounts(captures_dir) if a.scenario == f"replay:{cassette.name}")
    world = SandboxWorld.with_accounts([who])
    expected = captured_assets(cassette)
    async with client_for(world, who) as c:
        total = await count(c, "CPLAssetByAssetDateWithoutHiddenOrDeleted")
        listed = await list_all(c, "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted")
        master_names = [a["fields"]["masterRef"]["value"]["recordName"] for a in listed[:3]]
        lookup = await c.post(
            f"{PHOTOS}/private/records/lookup",
            json={
                "records": [{"recordName": n} for n in master_names],
                "zoneID": {"zoneName": "PrimarySync"},
            },
        )
    assert total == len(listed) == len(expected)
    assert [a["recordName"] for a in listed] == [a["recordName"] for a in expected]
    assert [a["fields"]["assetDate"] for a in listed] == [
        a["fields"]["assetDate"] for a in expected
    ]
    filenames = [
        base64.b64decode(m["fields"]["filenameEnc"]["value"]).decode()
        for m in lookup.json()["records"]
    ]
    zone = next(z for z in load_capture(cassette) if z.database == "private")
    captured_masters = [zone.masters[n] for n in master_names]
    assert filenames == [
        base64.b64decode(m["fields"]["filenameEnc"]["value"]).decode() for m in captured_masters
    ]
    for rec in lookup.json()["records"]:
        url = rec["fields"]["resOriginalRes"]["value"]["downloadURL"]
        assert url.startswith("https://cvws.icloud-content.com/B/")


async def test_replayed_download_has_the_captured_size(captures_dir: Path) -> None:
    who = next(
        a for a in replay_accounts(captures_dir) if a.scenario == "replay:listing_photos.yml"
    )
    world = SandboxWorld.with_accounts([who])
    async with client_for(world, who) as c:
        first = (
            await c.post(
                f"{PHOTOS}/private/records/lookup",
                json={
                    "records": [{"recordName": "AY6c+BsE0jjaXx9tmVGJM1D2VcEO"}],
                    "zoneID": {"zoneName": "PrimarySync"},
                },
            )
        ).json()["records"][0]
        token = first["fields"]["resOriginalRes"]["value"]
        head = await c.get(
            token["downloadURL"].replace("${f}", "$%7Bf%7D"), headers={"Range": "bytes=0-1"}
        )
    assert head.status_code == 206
    assert head.content == b"\xff\xd8"  # a JPEG, as the capture's file type says
    assert head.headers["content-range"] == f"bytes 0-1/{token['size']}"
    assert token["size"] == 1884695


ICLOUDPD_FIXTURES = Path(__file__).parents[2] / "fixtures" / "icloudpd" / "photos"


async def test_replayed_deleted_assets_are_in_recently_deleted() -> None:
    """icloudpd's auto-delete capture: its isDeleted assets replay in Recently Deleted."""
    cassette = ICLOUDPD_FIXTURES / "autodelete_photos.yml"
    expected = captured_assets(cassette)
    assert expected and all(a["fields"]["isDeleted"]["value"] == 1 for a in expected)
    who = account("replay-autodelete", ReplayLibrary(cassette=cassette))
    world = SandboxWorld.with_accounts([who])
    async with client_for(world, who) as c:
        deleted_count = await count(c, "CPLAssetDeletedByExpungedDate")
        deleted = await list_all(c, "CPLAssetAndMasterDeletedByExpungedDate")
        visible = await list_all(c, "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted")
    assert deleted_count == len(deleted) == len(expected)
    assert [a["recordName"] for a in deleted] == [a["recordName"] for a in expected]
    assert all(a["fields"]["isDeleted"]["value"] == 1 for a in deleted)
    assert visible == []
