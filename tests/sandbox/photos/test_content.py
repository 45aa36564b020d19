"""The content host: exact sizes, Range → 206, bad ranges → 416, unknown tokens → 404."""

from __future__ import annotations

import hashlib

import httpx

from cloudtap.sandbox.accounts.model import GeneratedLibrary
from cloudtap.sandbox.world import SandboxWorld
from tests.sandbox.photos.support import PHOTOS, account, client_for, list_query


async def first_original() -> tuple[SandboxWorld, dict[str, object]]:
    who = account("content", GeneratedLibrary(count=25, seed=4))
    world = SandboxWorld.with_accounts([who])
    async with client_for(world, who) as c:
        body = list_query("CPLAssetAndMasterByAddedDate", 0, "ASCENDING", 2)
        page = (await c.post(f"{PHOTOS}/private/records/query", json=body)).json()
    master = page["records"][0]
    return world, master["fields"]["resOriginalRes"]["value"]


async def test_download_whole_and_ranges() -> None:
    world, token = await first_original()
    url = str(token["downloadURL"]).replace("${f}", "$%7Bf%7D")
    size = int(str(token["size"]))
    async with client_for(world, None) as c:  # no cookies needed, like Apple's signed URLs
        whole = await c.get(url)
        tail = await c.get(url, headers={"Range": "bytes=100-"})
        middle = await c.get(url, headers={"Range": "bytes=10-19"})
        suffix = await c.get(url, headers={"Range": "bytes=-5"})
        beyond = await c.get(url, headers={"Range": f"bytes={size}-"})
        garbage = await c.get(url, headers={"Range": "lines=1-2"})
        head = await c.head(url)
        again = await c.get(url)
    assert whole.status_code == 200 and len(whole.content) == size
    assert whole.headers["content-length"] == str(size)
    assert whole.headers["etag"] == f'"{token["fileChecksum"]}"'
    assert hashlib.sha256(again.content).digest() == hashlib.sha256(whole.content).digest()
    assert tail.status_code == 206 and tail.content == whole.content[100:]
    assert tail.headers["content-range"] == f"bytes 100-{size - 1}/{size}"
    assert middle.content == whole.content[10:20]
    assert suffix.content == whole.content[-5:]
    assert beyond.status_code == garbage.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{size}"
    assert head.status_code == 200 and head.content == b""


async def test_unknown_or_tampered_tokens_are_404() -> None:
    world, token = await first_original()
    url = str(token["downloadURL"])
    path = httpx.URL(url).path
    tampered = path.replace("/B/", "/B/x", 1)
    async with client_for(world, None) as c:
        assert (await c.get(f"https://cvws.icloud-content.com{tampered}")).status_code == 404
        assert (await c.get("https://cvws.icloud-content.com/B/AAAA/x")).status_code == 404
        assert (await c.get("https://cvws.icloud-content.com/elsewhere")).status_code == 404
