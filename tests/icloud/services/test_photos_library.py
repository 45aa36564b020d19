"""``PhotosLibrary``: where a Shared Library zone is found, and walks whichever way ranks run.

Zone lists come from pyicloud's browser-derived fixtures (``tests/fixtures/pyicloud``);
the rank conventions from an in-process fake (``photos_fake``), since the sandbox only
has Apple's (rank 0 = newest upload, as the captures show).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes import icpl_photos
from cloudtap.icloud.files.icpl import PhotoFileRef
from cloudtap.icloud.services.photos import PhotoZone, join_page
from tests.icloud.services.photos_fake import FakeCloudKit, FakeLibrary, fake_assets

FIXTURES = Path(__file__).parents[2] / "fixtures" / "pyicloud" / "photos"
SHARED_ZONE = "SharedSync-6E1C0494-1BF4-4928-BD07-3FD81633193E"


def _fixture(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / name).read_text(encoding="utf-8")))


async def test_a_shared_library_in_the_private_zone_list_is_found() -> None:
    private = FakeCloudKit(
        "private", [], zones_reply=_fixture("photos_shared_library_private_zones_response.json")
    )
    shared = FakeCloudKit(
        "shared", [], zones_reply=_fixture("photos_shared_library_shared_zones_response.json")
    )
    zones = await FakeLibrary(private, shared).zones()
    assert [(z.scope, z.name, z.sync_token) for z in zones] == [
        ("private", "PrimarySync", "SYNC_TOKEN_001"),
        ("private", SHARED_ZONE, "SYNC_TOKEN_002"),
    ]
    assert zones[1].zone_id["ownerRecordName"] == "OWNER_RECORD_NAME_002"


async def test_a_shared_library_in_the_shared_database_is_still_read_once() -> None:
    private_list = _fixture("photos_shared_library_private_zones_response.json")
    elsewhere = {"zoneName": "SharedSync-OTHER", "ownerRecordName": "_x"}
    shared_list = {"zones": [*private_list["zones"][:1], {"zoneID": elsewhere}]}
    private = FakeCloudKit("private", [], zones_reply=private_list)
    shared = FakeCloudKit("shared", [], zones_reply=shared_list)
    zones = await FakeLibrary(private, shared).zones()
    assert [z.key for z in zones] == [
        "private/PrimarySync",
        f"private/{SHARED_ZONE}",
        "shared/SharedSync-OTHER",
    ]


async def _items(library: FakeLibrary, filters: Filters) -> list[JSONDict]:
    cursors: list[JSONDict] = []
    return [item async for item in icpl_photos.fetch(library, filters, cursors.append)]


def _moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


@pytest.mark.parametrize("rank0_newest", [True, False], ids=["rank0-newest", "rank0-oldest"])
async def test_since_poll_of_a_multi_page_library_returns_exactly_the_new_assets(
    rank0_newest: bool,
) -> None:
    world = fake_assets(1_000)
    new = world[:318]  # uploaded after `since`
    library = FakeLibrary(FakeCloudKit("private", world, rank0_newest=rank0_newest))
    since = _moment(world[318].added_ms)
    items = await _items(library, Filters(since=since))
    assert sorted(i["filename"] for i in items) == sorted(a.filename for a in new)
    queries = [b for op, b in library.fakes["private"].calls if op == "records/query"]
    assert len(queries) <= 6  # newest pages only, not the whole library


@pytest.mark.parametrize("rank0_newest", [True, False], ids=["rank0-newest", "rank0-oldest"])
async def test_until_on_a_full_listing_keeps_every_older_asset(rank0_newest: bool) -> None:
    world = fake_assets(450)
    library = FakeLibrary(FakeCloudKit("private", world, rank0_newest=rank0_newest))
    until = _moment(world[199].added_ms)
    items = await _items(library, Filters(until=until))
    assert sorted(i["filename"] for i in items) == sorted(a.filename for a in world[200:])


@pytest.mark.parametrize("rank0_newest", [True, False], ids=["rank0-newest", "rank0-oldest"])
async def test_since_poll_of_a_one_asset_library(rank0_newest: bool) -> None:
    world = fake_assets(1)
    library = FakeLibrary(FakeCloudKit("private", world, rank0_newest=rank0_newest))
    items = await _items(library, Filters(since=_moment(world[0].added_ms - 1)))
    assert [i["filename"] for i in items] == [world[0].filename]


def test_a_shared_library_page_of_the_fixture_becomes_an_item() -> None:
    zones = _fixture("photos_shared_library_private_zones_response.json")["zones"]
    zone = PhotoZone("private", zones[0]["zoneID"])
    records = _fixture("photos_shared_library_all_photos_response.json")["records"]
    joined, orphans = join_page(zone, records)
    assert orphans == [] and len(joined) == 1
    item = icpl_photos.to_item(joined[0])
    master = next(r for r in records if r["recordType"] == "CPLMaster")
    expected = base64.b64decode(master["fields"]["filenameEnc"]["value"]).decode()
    assert item["filename"] == expected
    ref = PhotoFileRef.parse(item["files"][0]["id"])
    assert (ref.scope, ref.zone_name) == ("private", SHARED_ZONE)
