"""The album walk's own edges, with an in-process fake of ``records/query`` (the sandbox
never answers these): a parentId cycle and a continuation marker that does not move on
end the walk, each album is listed once, and an album missing from a count is unknown."""

from __future__ import annotations

import base64
from typing import Any, cast

from cloudtap.icloud.services.photo_albums import (
    ALBUM_ASSETS,
    album_filters,
    album_records,
    counts,
    iter_album_assets,
)
from cloudtap.icloud.services.photos import PhotosLibrary, PhotoZone

ZONE = PhotoZone("private", {"zoneName": "PrimarySync"})


def _album(name: str, kind: int, parent: str | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "albumNameEnc": {
            "value": base64.b64encode(name.encode()).decode(),
            "type": "ENCRYPTED_BYTES",
        },
        "albumType": {"value": kind, "type": "INT64"},
    }
    if parent:
        fields["parentId"] = {"value": parent, "type": "STRING"}
    return {"recordName": name.upper(), "recordType": "CPLAlbum", "fields": fields}


class _Database:
    def __init__(self, replies: dict[str | None, dict[str, Any]]) -> None:
        self.replies = replies
        self.calls: list[dict[str, Any]] = []

    async def call(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(body)
        if operation == "internal/records/query/batch":
            return self.replies["count"]
        filters = body["query"].get("filterBy") or []
        parent = filters[0]["fieldValue"]["value"] if filters else None
        return self.replies[parent]


class _Library:
    def __init__(self, database: _Database) -> None:
        self.db = database

    def database(self, scope: str) -> _Database:
        return self.db


async def test_a_parent_cycle_and_a_stuck_marker_end_the_walk() -> None:
    db = _Database(
        {
            None: {"records": [_album("a", 3), _album("x", 0)], "continuationMarker": "same"},
            "A": {"records": [_album("b", 3, "A")]},
            "B": {"records": [_album("a", 3, "B"), _album("c", 0, "B")]},  # A inside B: a cycle
        }
    )
    found = await album_records(cast(PhotosLibrary, _Library(db)), ZONE)
    assert [(a.name, a.folder, a.parent) for a in found] == [
        ("a", True, None),
        ("x", False, None),
        ("b", True, "A"),
        ("c", False, "B"),
    ]
    # The top level asked twice (the marker once), each folder once: no endless walk.
    assert len(db.calls) == 4


async def test_an_album_apple_gives_no_count_for_is_left_out() -> None:
    record = {"recordName": "one", "fields": {"itemCount": {"value": 3}}}
    db = _Database({"count": {"batch": [{"records": [record]}]}})
    found = await counts(cast(PhotosLibrary, _Library(db)), ZONE, ["one", "two"])
    assert found == {"one": 3}


class _Pages:
    """An album index answering by ``startRank``: short pages that are not the end."""

    def __init__(self, pages: dict[int, list[str]]) -> None:
        self.pages = pages
        self.ranks: list[int] = []

    async def call(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        rank = body["query"]["filterBy"][0]["fieldValue"]["value"]
        self.ranks.append(rank)
        records: list[dict[str, Any]] = []
        for name in self.pages.get(rank, []):
            master = {"recordName": f"M-{name}", "recordType": "CPLMaster", "fields": {}}
            ref = {"value": {"recordName": f"M-{name}"}, "type": "REFERENCE"}
            asset = {"recordName": name, "recordType": "CPLAsset", "fields": {"masterRef": ref}}
            records += [master, asset]
        return {"records": records}


async def test_a_short_page_is_not_taken_for_the_end_of_an_album() -> None:
    pages = _Pages({0: ["a", "b"], 2: ["c"]})
    library = cast(PhotosLibrary, _Library(cast(_Database, pages)))
    listed = [
        a.asset["recordName"]
        async for page in iter_album_assets(library, ZONE, ALBUM_ASSETS, album_filters("X"))
        for a in page
    ]
    assert listed == ["a", "b", "c"]
    assert pages.ranks == [0, 2, 3]  # the end is the first page holding no asset
