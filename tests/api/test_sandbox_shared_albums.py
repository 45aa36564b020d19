"""Shared albums through HTTP: ``icpl.albums`` limited by ``filters.album_kinds`` to the
shared ones, an ``icpl.photos`` poll of one with contributors and comments, a file poll
of one of its photos (the world's bytes), and bad kinds refused with ``invalid-parameter``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cloudtap.sandbox.photos.content import resolve
from cloudtap.sandbox.photos.media import join
from cloudtap.sandbox.photos.shared_streams import ALBUM_STRIDE, shared_streams
from cloudtap.sandbox.photos.urls import ContentRef
from tests.api.live_sandbox import LiveAPI, apple_id, live_api  # noqa: F401


def _body(result: dict[str, Any]) -> bytes:
    return Path(result["url"].removeprefix("local://")).read_bytes()


def _items(poll: dict[str, Any], identifier: str) -> list[dict[str, Any]]:
    assert poll["state"] == "completed" and not poll["errors"]["data"], poll["errors"]
    (result,) = [r for r in poll["results"]["data"] if r["identifier"] == identifier]
    data: list[dict[str, Any]] = json.loads(_body(result))["data"]
    return data


def test_shared_albums_their_photos_and_files_over_http(live: LiveAPI) -> None:
    account = live.sandbox.world.account(apple_id("rich"))
    assert account is not None
    streams = shared_streams(account)
    session = live.active_session("rich")["id"]
    only_shared = {"data_types": ["icpl.albums"], "filters": {"album_kinds": ["shared"]}}
    albums = _items(live.poll(session, only_shared), "icpl.albums")
    assert [(a["name"], a["kind"]) for a in albums] == [(s.name, "shared") for s in streams]

    ski, stream = albums[1], streams[1]
    asked = {"data_types": ["icpl.photos"], "filters": {"albums": [ski["id"]]}}
    photos = _items(live.poll(session, asked), "icpl.photos")
    assert [p["filename"] for p in photos] == [p.spec.filename for p in stream.photos]
    assert [len(p["comments"]) for p in photos] == [len(p.comments) for p in stream.photos]
    assert {p["contributor"]["name"] for p in photos} == set(ski["contributors"])

    original = photos[0]["files"][0]["id"]
    assert original.startswith("icpl_shared://")
    file_poll = live.poll(session, {"files": [original]})
    assert file_poll["state"] == "completed", file_poll
    (result,) = file_poll["results"]["data"]
    res = stream.photos[0].spec.resource("resOriginal")
    assert res is not None
    blob = resolve(live.sandbox.world, ContentRef(account.dsid, False, "s", ALBUM_STRIDE, res.code))
    assert blob is not None and _body(result) == join(blob.pieces)


@pytest.mark.parametrize("kinds", [[], "shared", ["shared", "nope"], [3]])
def test_bad_album_kinds_are_invalid_parameter(live: LiveAPI, kinds: Any) -> None:
    session = live.active_session("no2fa")
    response = live.client.post(
        "/polls",
        json={
            "session": session["id"],
            "payload": {"data_types": ["icpl.albums"], "filters": {"album_kinds": kinds}},
        },
        headers=live.headers,
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid-parameter"
    assert list(body["params"]) == ["payload.filters.album_kinds"] and body["message"]
