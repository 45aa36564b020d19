"""A CloudKit page's parsed body lives as long as its caller keeps it, not as long as its
HTTP reply: httpx's replies sit in reference cycles that only a cyclic collection frees,
and a kept ~20,000-object page per reply made every young collection of a listing walk
them (issue 23, ``listing-1m``). The Apple edge is an ``httpx.MockTransport``."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import httpx
import orjson
import pytest

from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import TransportOptions
from cloudtap.icloud.services.cloudkit import CloudKitDatabase
from cloudtap.icloud.session import AppleSession

RECORDS_PER_PAGE = 200
PAGES = 20


def _page() -> bytes:
    records = [
        {
            "recordName": f"R-{n}",
            "recordType": "CPLAsset",
            "fields": {"addedDate": {"value": n, "type": "TIMESTAMP"}, "isHidden": {"value": 0}},
        }
        for n in range(RECORDS_PER_PAGE)
    ]
    return orjson.dumps({"records": records, "syncToken": "T"})


@pytest.fixture
def no_collection() -> Iterator[None]:
    """What stays alive stays: no cyclic collection frees a kept reply meanwhile."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


async def test_a_dropped_page_is_freed_while_its_reply_still_lives(no_collection: None) -> None:
    body = _page()
    replies: list[httpx.Response] = []  # kept alive, as a reply's reference cycle keeps it

    async def keep(response: httpx.Response) -> None:
        replies.append(response)

    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    client = AppleClient(
        TransportOptions(),
        AppleSession(apple_id="a@b.c", webservices={"ckdatabasews": "https://ck.example"}),
    )
    client.http = httpx.AsyncClient(transport=transport, event_hooks={"response": [keep]})
    database = CloudKitDatabase(client, "com.apple.photos.cloud", "private")

    await database.query("CPLAssetAndMasterByAddedDate", {"zoneName": "PrimarySync"})  # warm
    before = len(gc.get_objects())
    for _ in range(PAGES):
        page = await database.query("CPLAssetAndMasterByAddedDate", {"zoneName": "PrimarySync"})
        assert len(page["records"]) == RECORDS_PER_PAGE
        del page
    left_per_page = (len(gc.get_objects()) - before) / PAGES
    await client.http.aclose()

    assert len(replies) == PAGES + 1
    # A reply's own objects (request, headers, streams) stay; its page's 200 records do not.
    assert left_per_page < RECORDS_PER_PAGE, left_per_page


async def test_a_read_reply_is_freed_with_its_last_reference(no_collection: None) -> None:
    """httpx's stream wrapper points back at its reply; unbound, a page's ~380 KB body
    goes when the call returns, not at the next cyclic collection (seldom, once pages no
    longer trigger them: `serve`'s RSS rose 180 -> 247 MiB on a 100k listing)."""
    body = _page()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    client = AppleClient(
        TransportOptions(),
        AppleSession(apple_id="a@b.c", webservices={"ckdatabasews": "https://ck.example"}),
    )
    client.http = httpx.AsyncClient(transport=transport)
    database = CloudKitDatabase(client, "com.apple.photos.cloud", "private")
    for _ in range(PAGES):
        await database.query("CPLAssetAndMasterByAddedDate", {"zoneName": "PrimarySync"})
    alive = [o for o in gc.get_objects() if isinstance(o, httpx.Response)]
    await client.http.aclose()
    assert alive == []
