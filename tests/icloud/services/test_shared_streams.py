"""The shared-album walk's own edges, with an in-process fake of the ``sharedstreams``
host (the sandbox never misbehaves so): a server that ignores ``offset`` or repeats a
photo, a list without albums or an album without its guid are errors, never a short
listing passed off as whole; comments land on their photo; Apple's size 0 is unknown."""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.datatypes.icpl_shared_albums import photo_item
from cloudtap.icloud.services import shared_streams
from cloudtap.icloud.services.shared_streams import SharedAlbum, album_pages, albums

ROOT = "https://p20-sharedstreams.icloud.com:443"
ALBUM = SharedAlbum("G1", "Trip", f"{ROOT}/1/sharedstreams/", "c1", "1", "Ann", "owned", 0)


def _photo(n: int) -> list[dict[str, Any]]:
    master = {
        "recordName": f"M{n}",
        "recordType": "CPLMaster",
        "fields": {
            "resOriginalRes": {"value": {"size": 0, "downloadURL": f"https://x/{n}"}},
            "resOriginalFileType": {"value": "public.jpeg"},
        },
    }
    asset = {
        "recordName": f"A{n}",
        "recordType": "CPLAsset",
        "fields": {"masterRef": {"value": {"recordName": f"M{n}"}}},
    }
    return [master, asset]


class _Session:
    dsid = "1"

    def __init__(self, root: str | None) -> None:
        self.root = root

    def service_url(self, name: str) -> str | None:
        return self.root if name == "sharedstreams" else None


class _Client:
    """Answers each POST with the next reply; records the bodies it was sent."""

    def __init__(self, *replies: Any, root: str | None = ROOT) -> None:
        self.session = _Session(root)
        self.replies = list(replies)
        self.bodies: list[Any] = []

    async def service(self, method: str, url: str, *, json: Any = None) -> httpx.Response:
        self.bodies.append(json)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        return httpx.Response(200, json=reply, request=httpx.Request(method, url))


def _client(*replies: Any, root: str | None = ROOT) -> AppleClient:
    return cast(AppleClient, _Client(*replies, root=root))


async def _walk(client: AppleClient) -> list[str]:
    return [str(p.asset["recordName"]) async for page in album_pages(client, ALBUM) for p in page]


async def test_a_server_ignoring_offset_is_an_error_not_a_loop() -> None:
    full_page = [r for n in range(shared_streams.PAGE) for r in _photo(n)]
    with pytest.raises(errors.AppleUnavailable, match="repeated"):
        await _walk(_client({"records": full_page}))


async def test_a_short_page_ends_the_album_after_one_request() -> None:
    client = _client({"records": _photo(0) + _photo(1)})
    assert await _walk(client) == ["A0", "A1"]
    assert cast(_Client, client).bodies == [
        {"albumguid": "G1", "offset": "0", "limit": "100", "albumctag": "c1"}
    ]


async def test_lists_without_albums_or_guids_are_errors() -> None:
    with pytest.raises(errors.AppleUnavailable):
        await albums(_client({"nothing": []}))
    with pytest.raises(errors.AppleUnavailable):
        await albums(_client({"albums": [{"albumlocation": ROOT + "/"}]}))
    with pytest.raises(errors.ServiceDisabled):
        await albums(_client({"albums": []}, root=None))


async def test_comments_land_on_their_photo_and_size_zero_is_unknown() -> None:
    comment: dict[str, Any] = {
        "recordName": "C1",
        "recordType": "CPLTextComment",
        "fields": {
            "commentText": {"value": "hi"},
            "assetRef": {"value": {"recordName": "A1"}},
            "commenterFirstName": {"value": "Ann"},
        },
    }
    stray = {**comment, "fields": {**comment["fields"], "assetRef": {"value": {"recordName": "Z"}}}}
    client = _client({"records": _photo(0) + _photo(1) + [comment, stray]})
    pages = [page async for page in album_pages(client, ALBUM)]
    first, second = pages[0]
    assert (first.comments, [c["recordName"] for c in second.comments]) == ([], ["C1"])
    item = photo_item("album-id", ALBUM, second)
    assert item["comments"] == [{"author": "Ann", "text": "hi", "date": None}]
    assert item["contributor"] is None
    assert [f["size"] for f in item["files"]] == [None]
