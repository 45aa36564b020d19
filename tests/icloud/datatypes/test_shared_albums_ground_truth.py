"""Shared albums against the sandbox world: every published field of ``rich@``'s shared
albums (``icpl.albums``, kind ``shared``) and of their photos (``icpl.photos`` with the
filter ``albums``), and every file's bytes, through the real TLS proxy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cloudtap.icloud import errors
from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Filters, JSONDict, TransportOptions
from cloudtap.icloud.datatypes.icpl_albums import SHARED_STREAMS, AlbumRef
from cloudtap.icloud.datatypes.icpl_photos import PUBLISHED_RESOURCES, iso_datetime
from cloudtap.icloud.datatypes.icpl_shared_albums import photo_item_id
from cloudtap.icloud.files.shared_photo import SharedPhotoFileRef
from cloudtap.sandbox.photos.content import resolve
from cloudtap.sandbox.photos.media import join
from cloudtap.sandbox.photos.records import ALT_ONLY_TYPE
from cloudtap.sandbox.photos.shared_streams import ALBUM_STRIDE, SharedStream, shared_streams
from cloudtap.sandbox.photos.urls import ContentRef
from cloudtap.sandbox.runtime import RunningSandbox
from tests.icloud.datatypes.sandbox_session import download, items, session, world_account
from tests.support.sandbox import live_sandbox


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with live_sandbox(tmp_path_factory.mktemp("shared-albums-ground-truth")) as running:
        yield running


def _connector(sandbox: RunningSandbox) -> ICloudConnector:
    return ICloudConnector(
        TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
    )


def _album_id(stream: SharedStream) -> str:
    return AlbumRef("private", SHARED_STREAMS, "shared", stream.guid).to_id()


def _expected_album(stream: SharedStream) -> JSONDict:
    return {
        "id": _album_id(stream),
        "data_type": "icpl.album",
        "name": stream.name,
        "kind": "shared",
        "parent": None,
        "asset_count": len(stream.photos),
        "date_created": iso_datetime(stream.created_ms),
        "date_modified": None,
        "owner": stream.owner.full_name,
        "sharing": stream.sharing_type,
        "contributors": list(dict.fromkeys(p.contributor.full_name for p in stream.photos)),
    }


async def test_every_shared_album_and_photo_field_matches_the_world(
    sandbox: RunningSandbox,
) -> None:
    account = world_account(sandbox, "rich")
    streams = shared_streams(account)
    connector = _connector(sandbox)
    state = await session(connector, "rich")
    listed = [i for i in await items(connector, state, "icpl.albums") if i["kind"] == "shared"]
    assert listed == [_expected_album(s) for s in streams]
    for stream in streams:
        album_id = _album_id(stream)
        photos = await items(connector, state, "icpl.photos", Filters(albums=(album_id,)))
        assert [p["id"] for p in photos] == [
            photo_item_id(stream.guid, p.spec.asset_name) for p in stream.photos
        ]
        for item, photo in zip(photos, stream.photos, strict=True):
            spec = photo.spec
            assert item["filename"] == spec.filename
            assert item["date_created"] == iso_datetime(spec.asset_date_ms)
            assert item["date_uploaded"] == iso_datetime(photo.added_ms)
            assert item["albums"] == [album_id]
            assert item["contributor"] == {
                "name": photo.contributor.full_name,
                "dsid": photo.contributor.dsid,
            }
            assert item["comments"] == [
                {"author": c.author.full_name, "text": c.text, "date": iso_datetime(c.created_ms)}
                for c in photo.comments
            ]
            published = {SharedPhotoFileRef.parse(f["id"]).resource: f for f in item["files"]}
            world = {r.prefix: r for r in spec.resources}
            assert set(published) == set(world) & set(PUBLISHED_RESOURCES)
            for prefix, entry in published.items():
                assert entry["size"] is None  # Apple says 0 in shared streams: unknown
                res = world[prefix]
                sized = (None, None) if prefix in ALT_ONLY_TYPE else (res.width, res.height)
                assert (entry["width"], entry["height"]) == sized, prefix
    # Not vacuous: rich@'s subscribed album has two contributors and comments from both.
    ski = next(a for a in listed if a["sharing"] == "subscribed")
    assert len(ski["contributors"]) == 2


async def test_every_file_of_the_subscribed_album_is_byte_exact(sandbox: RunningSandbox) -> None:
    account = world_account(sandbox, "rich")
    stream = shared_streams(account)[1]
    connector = _connector(sandbox)
    state = await session(connector, "rich")
    album = Filters(albums=(_album_id(stream),))
    photos = await items(connector, state, "icpl.photos", album)
    downloaded = 0
    for position, item in enumerate(photos):
        for entry in item["files"]:
            ref = SharedPhotoFileRef.parse(entry["id"])
            code = next(r.code for r in stream.photos[position].spec.resources
                        if r.prefix == ref.resource)  # fmt: skip
            token = ContentRef(account.dsid, False, "s", ALBUM_STRIDE + position, code)
            blob = resolve(sandbox.world, token)
            assert blob is not None
            assert await download(connector, state, entry["id"]) == join(blob.pieces)
            downloaded += 1
    assert downloaded >= len(stream.photos)


async def test_a_shared_album_no_longer_shared_is_not_found(sandbox: RunningSandbox) -> None:
    connector = _connector(sandbox)
    state = await session(connector, "rich")
    gone = AlbumRef("private", SHARED_STREAMS, "shared", "NO-SUCH-GUID").to_id()
    with pytest.raises(errors.NotFound):
        await items(connector, state, "icpl.photos", Filters(albums=(gone,)))
    missing = SharedPhotoFileRef("NO-SUCH-GUID", "rec", "resOriginal").to_id()
    with pytest.raises(errors.NotFound):
        await download(connector, state, missing)
