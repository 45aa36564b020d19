"""Albums through HTTP: ``icpl.albums`` lists them, and an ``icpl.photos`` poll with the
filter ``albums`` returns exactly their assets, in album order, each saying which of the
asked-for albums hold it; bad album ids are refused with ``invalid-parameter``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cloudtap.icloud.datatypes.icpl_photos import asset_item_id
from cloudtap.icloud.services.photos import PhotoZone
from cloudtap.sandbox.photos import generator
from cloudtap.sandbox.photos.container import PRIMARY_ZONE, source_for
from cloudtap.sandbox.photos.library import GeneratedSource
from tests.api.live_sandbox import LiveAPI, apple_id, live_api  # noqa: F401

PRIMARY = PhotoZone("private", {"zoneName": PRIMARY_ZONE})


def _items(result: dict[str, Any]) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(
        Path(result["url"].removeprefix("local://")).read_bytes()
    )["data"]
    return data


def _result(poll: dict[str, Any], identifier: str) -> list[dict[str, Any]]:
    assert poll["state"] == "completed" and not poll["errors"]["data"], poll["errors"]
    (result,) = [r for r in poll["results"]["data"] if r["identifier"] == identifier]
    return _items(result)


def _world_ids(source: GeneratedSource, album_name: str) -> list[str]:
    """The album's assets, in the world's rank order, as published item ids."""
    album = next(a for a in source.albums() if a.name == album_name)
    assert album.members is not None
    ranks = range(len(album.members))
    names = [generator.asset_name(source.seed, PRIMARY_ZONE, album.members.at(r)) for r in ranks]
    return [asset_item_id(PRIMARY, name) for name in names]


def test_photos_of_albums_in_album_order(live: LiveAPI) -> None:
    session = live.active_session("rich")
    albums = {
        a["name"]: a
        for a in _result(live.poll(session["id"], {"data_types": ["icpl.albums"]}), "icpl.albums")
    }
    source = source_for(live.sandbox.world.account(apple_id("rich")), "private", PRIMARY_ZONE)  # type: ignore[arg-type]
    assert isinstance(source, GeneratedSource)
    rome, holidays = _world_ids(source, "Rome"), _world_ids(source, "Holidays")
    assert rome and holidays and set(rome) & set(holidays)  # some assets are in both

    asked = [albums["Rome"]["id"], albums["Holidays"]["id"]]
    poll = live.poll(session["id"], {"data_types": ["icpl.photos"], "filters": {"albums": asked}})
    items = _result(poll, "icpl.photos")
    expected = list(dict.fromkeys(rome + holidays))  # Rome's first, then Holidays' new ones
    assert [i["id"] for i in items] == expected
    for item in items:
        holders = [a for a, ids in zip(asked, (rome, holidays), strict=True) if item["id"] in ids]
        assert item["albums"] == holders, item["id"]

    empty = live.poll(
        session["id"],
        {"data_types": ["icpl.photos"], "filters": {"albums": [albums["Empty"]["id"]]}},
    )
    assert _result(empty, "icpl.photos") == []
    favourites = live.poll(
        session["id"],
        {"data_types": ["icpl.photos"], "filters": {"albums": [albums["Favorites"]["id"]]}},
    )
    assert len(_result(favourites, "icpl.photos")) == albums["Favorites"]["asset_count"] > 0


@pytest.mark.parametrize(
    "albums",
    [[], "Rome", [12], ["not-an-album-id"], ["cDpQOnM6Tm9wZQ"], ["cDpQOmY6eA"]],
    ids=["empty", "not-a-list", "not-a-string", "garbage", "unknown-smart", "a-folder"],
)
def test_bad_album_filters_are_invalid_parameter(live: LiveAPI, albums: Any) -> None:
    session = live.active_session("no2fa")
    response = live.client.post(
        "/polls",
        json={
            "session": session["id"],
            "payload": {"data_types": ["icpl.photos"], "filters": {"albums": albums}},
        },
        headers=live.headers,
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid-parameter"
    assert list(body["params"]) == ["payload.filters.albums"] and body["message"]
