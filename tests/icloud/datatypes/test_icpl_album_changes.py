"""The album change probe's own edges, with an in-process fake of ``changes/zone`` (the
sandbox always answers every zone with a token): a zone Apple leaves out, answers without
a token, or answers with more to come counts as changed; an empty feed is unchanged and
hands on its newer token, one request per database."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from cloudtap.icloud.datatypes.icpl_album_changes import membership, zone_changes
from cloudtap.icloud.services.photos import PhotosLibrary, PhotoZone


def _zone(name: str) -> PhotoZone:
    return PhotoZone("private", {"zoneName": name})


class _Database:
    def __init__(self, zones: list[dict[str, Any]]) -> None:
        self.zones, self.calls = zones, 0

    async def call(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        assert operation == "changes/zone"
        self.calls += 1
        return {"zones": self.zones}


class _Library:
    def __init__(self, database: _Database) -> None:
        self._database = database

    def database(self, scope: str) -> _Database:
        return self._database


def test_only_an_empty_feed_with_a_token_is_unchanged() -> None:
    zones = [_zone(n) for n in ("Quiet", "Busy", "More", "NoToken", "Missing", "Untracked")]
    replies = [
        {"zoneID": {"zoneName": "Quiet"}, "syncToken": "t2", "records": []},
        {"zoneID": {"zoneName": "Busy"}, "syncToken": "t2", "records": [{"recordName": "x"}]},
        {"zoneID": {"zoneName": "More"}, "syncToken": "t2", "records": [], "moreComing": True},
        {"zoneID": {"zoneName": "NoToken"}, "records": []},
        "not a zone",
    ]
    database = _Database(replies)  # type: ignore[arg-type]
    tokens = {z.key: "t1" for z in zones if z.name != "Untracked"}
    found = asyncio.run(zone_changes(cast(PhotosLibrary, _Library(database)), zones, tokens))
    assert found.tokens == {"private/Quiet": "t2"}
    assert found.changed == {
        f"private/{n}" for n in ("Busy", "More", "NoToken", "Missing", "Untracked")
    }
    assert database.calls == 1  # one request for the whole database


def test_membership_inverts_album_members_in_order() -> None:
    assert membership({"a": ["x", "y"], "b": ["y"]}) == {"x": ["a"], "y": ["a", "b"]}
