"""``icpl.albums`` against the sandbox world's own albums, and against a replayed capture.

Every published field of every album of ``rich@`` (nested folders, an empty album, a
unicode name, the smart albums and its Shared Library) is compared with what the world's
library says; ``listing_albums.yml`` replayed lists exactly the albums the capture holds.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudtap.icloud import errors
from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, Filters, JSONDict, TransportOptions
from cloudtap.icloud.datatypes.icpl_albums import AlbumRef
from cloudtap.sandbox.photos.container import PRIMARY_ZONE, source_for
from cloudtap.sandbox.photos.library import AlbumSpec
from cloudtap.sandbox.photos.replay import REPLAY_PASSWORD, load_capture
from cloudtap.sandbox.runtime import RunningSandbox
from tests.icloud.client.conftest import PASSWORD, apple_id
from tests.icloud.datatypes.sandbox_session import world_account
from tests.support.sandbox import live_sandbox

ALBUMS_CAPTURE = "replay-listing-albums@sandbox.cloudtap.dev"
# pyicloud's smart album names -> the sandbox library's subset behind each.
SMART_SUBSETS = {
    "Library": "visible", "Time-lapse": "timelapse", "Videos": "video", "Slo-mo": "slomo",
    "Bursts": "burst", "Favorites": "favorite", "Panoramas": "panorama",
    "Screenshots": "screenshot", "Live": "live", "Recently Deleted": "deleted",
    "Hidden": "hidden",
}  # fmt: skip


@pytest.fixture(scope="module")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory, captures_dir: Path
) -> Iterator[RunningSandbox]:
    with live_sandbox(
        tmp_path_factory.mktemp("albums-ground-truth"),
        settings={"CLOUDTAP_SANDBOX_CAPTURES": str(captures_dir)},
    ) as running:
        yield running


async def _albums(sandbox: RunningSandbox, who: str, password: str) -> list[JSONDict]:
    connector = ICloudConnector(
        TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
    )
    outcome = await connector.login(Credentials(who, password), None)
    assert outcome.state == "active" and outcome.session_state
    stream = connector.fetch_items(outcome.session_state, "icpl.albums", Filters())
    return [item async for item in stream]


def _iso(ms: int) -> str:
    from cloudtap.icloud.datatypes.icpl_photos import iso_datetime

    published = iso_datetime(ms)
    assert published is not None
    return published


def _expected_user(album: AlbumSpec, by_name: dict[str, AlbumSpec]) -> JSONDict:
    folder = album.album_type == 3
    ref = AlbumRef("private", PRIMARY_ZONE, "folder" if folder else "user", album.record_name)
    parent = None
    if album.parent_id and album.parent_id in by_name:
        parent = AlbumRef("private", PRIMARY_ZONE, "folder", album.parent_id).to_id()
    return {
        "id": ref.to_id(),
        "data_type": "icpl.album",
        "name": album.name,
        "kind": "folder" if folder else "user",
        "parent": parent,
        "asset_count": None if folder or album.members is None else len(album.members),
        "date_created": _iso(album.created_ms),
        "date_modified": _iso(album.created_ms),
    }


async def test_every_album_field_matches_the_world(sandbox: RunningSandbox) -> None:
    account = world_account(sandbox, "rich")
    source = source_for(account, "private", PRIMARY_ZONE)
    named = {a.record_name: a for a in source.albums() if a.name is not None}
    expected: dict[str, Any] = {}
    for smart, subset in SMART_SUBSETS.items():
        ref = AlbumRef("private", PRIMARY_ZONE, "smart", smart)
        expected[ref.to_id()] = {
            "id": ref.to_id(), "data_type": "icpl.album", "name": smart, "kind": "smart",
            "parent": None, "asset_count": len(source.subset(subset)),
            "date_created": None, "date_modified": None,
        }  # fmt: skip
    for album in named.values():
        item = _expected_user(album, named)
        expected[item["id"]] = item
    shared_zone = next(z for z in (s.zone for s in _zones(account)) if z.name != PRIMARY_ZONE)
    shared = source_for(account, "private", shared_zone.name)
    ref = AlbumRef("private", shared_zone.name, "shared_library", "")
    expected[ref.to_id()] = {
        "id": ref.to_id(), "data_type": "icpl.album", "name": "Shared Library",
        "kind": "shared_library", "parent": None,
        "asset_count": len(shared.subset("visible")),
        "date_created": None, "date_modified": None,
    }  # fmt: skip

    listed = await _albums(sandbox, apple_id("rich"), PASSWORD)
    # Shared albums have a ground-truth test of their own (test_shared_albums_ground_truth).
    published = [i for i in listed if i["kind"] != "shared"]
    assert len(published) == len(expected) == len({i["id"] for i in published})
    for item in published:
        assert item == expected[item["id"]], item["name"]
    # Not vacuous: the rich library's nesting, empty album and unicode name are there.
    by_name = {i["name"]: i for i in published}
    assert by_name["Rome"]["parent"] == by_name["Europe"]["id"]
    assert by_name["Europe"]["parent"] == by_name["Trips"]["id"]
    assert by_name["Empty"]["asset_count"] == 0
    assert by_name["Été à Tōkyō 🌸"]["asset_count"] > 0
    assert by_name["Favorites"]["asset_count"] > 0


def _zones(account: Any) -> list[Any]:
    from cloudtap.sandbox.photos.container import PhotosContainer

    zones = PhotosContainer().zones(account, "private")
    return [source_for(account, "private", z.name) for z in zones]


async def test_replayed_listing_albums_capture(sandbox: RunningSandbox, captures_dir: Path) -> None:
    captured = [
        rec
        for zone in load_capture(captures_dir / "listing_albums.yml")
        if zone.name == PRIMARY_ZONE and zone.database == "private"
        for rec in zone.albums
    ]
    names = {
        rec["recordName"]: base64.b64decode(rec["fields"]["albumNameEnc"]["value"]).decode()
        for rec in captured
        if rec["fields"].get("albumNameEnc")
    }
    assert len(names) > 10  # the capture's albums, not an empty comparison

    published = await _albums(sandbox, ALBUMS_CAPTURE, REPLAY_PASSWORD)
    users = {AlbumRef.parse(i["id"]).key: i for i in published if i["kind"] in ("user", "folder")}
    assert {key: item["name"] for key, item in users.items()} == names
    for rec in captured:
        if rec["recordName"] not in names:
            continue
        item = users[rec["recordName"]]
        folder = rec["fields"]["albumType"]["value"] == 3
        assert item["kind"] == ("folder" if folder else "user")
        assert item["date_modified"] == _iso(rec["fields"]["recordModificationDate"]["value"])


async def test_an_album_no_longer_there_is_not_found_not_empty(sandbox: RunningSandbox) -> None:
    connector = ICloudConnector(
        TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
    )
    outcome = await connector.login(Credentials(apple_id("rich"), PASSWORD), None)
    assert outcome.session_state
    gone = AlbumRef("private", PRIMARY_ZONE, "user", "NO-SUCH-ALBUM").to_id()
    stream = connector.fetch_items(outcome.session_state, "icpl.photos", Filters(albums=(gone,)))
    with pytest.raises(errors.NotFound):
        _ = [item async for item in stream]
