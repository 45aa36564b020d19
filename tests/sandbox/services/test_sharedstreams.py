"""The sandbox's shared albums (``sharedstreams``) against the account's own world."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

import httpx
import pytest

from cloudtap.sandbox.accounts.model import GeneratedLibrary, SandboxAccount
from cloudtap.sandbox.app import SandboxApp
from cloudtap.sandbox.photos.content import resolve
from cloudtap.sandbox.photos.media import join
from cloudtap.sandbox.photos.shared_streams import shared_streams
from cloudtap.sandbox.photos.urls import decode_token
from cloudtap.sandbox.world import SandboxWorld
from tests.sandbox.services.conftest import ServiceClient, make_account

DSID = "20000001"


@pytest.fixture
def account() -> SandboxAccount:
    library = GeneratedLibrary(count=60, seed=6, album_plan="rich")
    return dataclasses.replace(make_account(), photos=library)


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
    reply = await client.post(f"/{DSID}/sharedstreams/{path}", json=body)
    assert reply.status_code == 200, reply.text
    return reply.json()


async def test_albums_assets_contributors_and_comments_are_the_worlds(
    service_client: ServiceClient, account: SandboxAccount, world: SandboxWorld
) -> None:
    streams = shared_streams(account)
    assert [s.sharing_type for s in streams] == ["owned", "subscribed"]
    async with service_client("sharedstreams") as client:
        listed = (await _post(client, "webgetalbumslist", {}))["albums"]
        assert [a["albumguid"] for a in listed] == [s.guid for s in streams]
        for album, stream in zip(listed, streams, strict=True):
            assert album["attributes"]["name"] == stream.name
            assert album["attributes"]["creationDate"] == str(stream.created_ms)
            assert album["ownerdsid"] == stream.owner.dsid
            assert album["albumlocation"].endswith(f"/{DSID}/sharedstreams/")
            body = {"albumguid": stream.guid}
            count = await _post(client, "webgetassetcount", body)
            assert count == {"albumassetcount": len(stream.photos)}
            # Paged as pyicloud pages (limit is an end): two pages, nothing twice.
            first = await _post(client, "webgetassets", {**body, "offset": "0", "limit": "2"})
            rest = await _post(client, "webgetassets", {**body, "offset": "2", "limit": "200"})
            records = first["records"] + rest["records"]
            assets = [r for r in records if r["recordType"] == "CPLAsset"]
            assert [a["recordName"] for a in assets] == [p.spec.asset_name for p in stream.photos]
            masters = {r["recordName"]: r for r in records if r["recordType"] == "CPLMaster"}
            comments = [r for r in records if r["recordType"] == "CPLTextComment"]
            for asset, photo in zip(assets, stream.photos, strict=True):
                assert asset["fields"]["addedDate"]["value"] == photo.added_ms
                plugin = asset["pluginFields"]
                assert plugin["contributorFullName"]["value"] == photo.contributor.full_name
                master = masters[asset["fields"]["masterRef"]["value"]["recordName"]]
                name = base64.b64decode(master["fields"]["filenameEnc"]["value"]).decode()
                assert name == photo.spec.filename
                theirs = [
                    (c["fields"]["commenterFullName"]["value"], c["fields"]["commentText"]["value"])
                    for c in comments
                    if c["fields"]["assetRef"]["value"]["recordName"] == photo.spec.asset_name
                ]
                assert theirs == [(c.author.full_name, c.text) for c in photo.comments]
                # Byte-exact: the URL the record gives serves the world's own bytes.
                res = master["fields"]["resOriginalRes"]["value"]
                assert res["size"] == 0  # as Apple's shared-stream records say
                ref = decode_token(res["downloadURL"].split("/B/", 1)[1].split("/", 1)[0])
                assert ref is not None
                blob = resolve(world, ref)
                assert blob is not None
                original = photo.spec.resource("resOriginal")
                assert original is not None and blob.size == original.size
    ski = streams[1]
    authors = {c.author.full_name for p in ski.photos for c in p.comments}
    assert len(authors) == 2 and len({p.contributor for p in ski.photos}) == 2


async def test_downloads_are_byte_exact_over_http(
    service_client: ServiceClient, account: SandboxAccount, world: SandboxWorld
) -> None:
    stream = shared_streams(account)[1]
    async with service_client("sharedstreams") as client:
        body = {"albumguid": stream.guid, "offset": "0", "limit": "1"}
        records = (await _post(client, "webgetassets", body))["records"]
    master = next(r for r in records if r["recordType"] == "CPLMaster")
    url = master["fields"]["resOriginalRes"]["value"]["downloadURL"].replace("${f}", "x")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=SandboxApp(world))) as http:
        got = await http.get(url)
    assert got.status_code == 200
    ref = decode_token(url.split("/B/", 1)[1].split("/", 1)[0])
    assert ref is not None
    blob = resolve(world, ref)
    assert blob is not None and got.content == join(blob.pieces)


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("webgetassets", {}, 400),
        ("webgetassets", {"albumguid": "NOPE"}, 404),
        ("webgetassets", {"albumguid": "{guid}", "offset": "x"}, 400),
        ("webgetassets", {"albumguid": "{guid}", "offset": "-1"}, 400),
        ("webgetassetcount", {"albumguid": 7}, 400),
    ],
)
async def test_bad_requests_are_refused_in_apples_shape(
    service_client: ServiceClient,
    account: SandboxAccount,
    path: str,
    body: dict[str, Any],
    status: int,
) -> None:
    guid = shared_streams(account)[0].guid
    body = {k: (v.format(guid=guid) if isinstance(v, str) else v) for k, v in body.items()}
    async with service_client("sharedstreams") as client:
        reply = await client.post(f"/{DSID}/sharedstreams/{path}", json=body)
    assert reply.status_code == status
    assert set(reply.json()) == {"requestUUID", "errorReason", "errorCode"}


async def test_another_dsid_and_no_session_are_refused(service_client: ServiceClient) -> None:
    async with service_client("sharedstreams") as client:
        other = await client.post("/99999/sharedstreams/webgetalbumslist", json={})
    assert other.status_code == 404
    async with service_client("sharedstreams", signed_in=False) as client:
        anonymous = await client.post(f"/{DSID}/sharedstreams/webgetalbumslist", json={})
    assert anonymous.status_code == 421


def test_accounts_without_a_generated_library_share_nothing() -> None:
    assert shared_streams(make_account()) == ()
    basic = dataclasses.replace(make_account(), photos=GeneratedLibrary(count=10, seed=1))
    assert [s.name for s in shared_streams(basic)] == ["Shared with Family"]
