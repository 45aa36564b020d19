"""``icpl.photos`` against the sandbox world's own values, not against the wire.

Every published field of every item of a generated account (its private library and
its Shared Library: photos, live photos, edits, RAW+JPEG pairs, videos, screenshots) is
compared with what the world's generator says the asset is; a sample of downloads with
the bytes the world renders. Unicode filenames come from a replayed capture
(``listing_photos_chinese.yml``), whose source is the captured records themselves.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, Filters, JSONDict, TransportOptions
from cloudtap.icloud.datatypes.icpl_photos import PUBLISHED_RESOURCES
from cloudtap.icloud.files.icpl import PhotoFileRef
from cloudtap.sandbox.accounts.model import GeneratedLibrary, ReplayLibrary, SandboxAccount
from cloudtap.sandbox.photos import generator, media
from cloudtap.sandbox.photos.container import PRIMARY_ZONE, shared_zone_name
from cloudtap.sandbox.photos.content import resolve
from cloudtap.sandbox.photos.generator import AssetSpec
from cloudtap.sandbox.photos.replay import REPLAY_PASSWORD, load_capture
from cloudtap.sandbox.photos.resources import ResourceSpec
from cloudtap.sandbox.photos.urls import ContentRef
from cloudtap.sandbox.runtime import RunningSandbox
from tests.icloud.datatypes.sandbox_session import world_account
from tests.support.sandbox import live_sandbox

PASSWORD = "sandbox-password"
DOMAIN = "sandbox.cloudtap.dev"
CHINESE = "replay-listing-photos-chinese@sandbox.cloudtap.dev"
# The world's media formats as published: (extension, data_type).
PUBLISHED_FORMAT = {
    "jpeg": ("jpg", "image"),
    "heic": ("heic", "image"),
    "png": ("png", "image"),
    "dng": ("dng", "image"),
    "mov": ("mov", "video"),
}
FILE_FIELDS = ("extension", "data_type", "size", "width", "height")
# Apple sends a RAW+JPEG partner without its dimensions (the raw_alt capture).
NO_DIMENSIONS = {"resOriginalAlt"}


@pytest.fixture(scope="module")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory, captures_dir: Path
) -> Iterator[RunningSandbox]:
    with live_sandbox(
        tmp_path_factory.mktemp("ground-truth"),
        settings={"CLOUDTAP_SANDBOX_CAPTURES": str(captures_dir)},
    ) as running:
        yield running


@pytest.fixture
def connector(sandbox: RunningSandbox) -> ICloudConnector:
    return ICloudConnector(
        TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
    )


async def _items(connector: ICloudConnector, apple_id: str, password: str) -> tuple[
    JSONDict, list[JSONDict]
]:  # fmt: skip
    outcome = await connector.login(Credentials(apple_id, password), None)
    assert outcome.state == "active" and outcome.session_state
    state = outcome.session_state
    return state, [i async for i in connector.fetch_items(state, "icpl.photos", Filters())]


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _world_assets(account: SandboxAccount) -> dict[tuple[str, str], AssetSpec]:
    """(zone, master record name) -> spec, for every asset "All Photos" shows."""
    library = account.photos
    assert isinstance(library, GeneratedLibrary)
    zones = [(PRIMARY_ZONE, library.count), (shared_zone_name(library.seed), library.shared_count)]
    out = {}
    for zone, count in zones:
        for index in range(count):
            spec = generator.asset(library.seed, zone, index)
            if not spec.hidden:
                out[(zone, spec.master_name)] = spec
    return out


def _published(spec: AssetSpec) -> list[ResourceSpec]:
    """What an item lists, in order: per resource, the original's (the master's) copy,
    then the edit's own (the asset's), so an edit never hides the original's renditions."""
    return [
        r
        for prefix in PUBLISHED_RESOURCES
        for r in sorted((r for r in spec.resources if r.field == prefix), key=lambda r: r.on_asset)
    ]


def _expected_files(spec: AssetSpec) -> list[dict[str, Any]]:
    return [_expected_file(r) for r in _published(spec)]


def _expected_file(res: ResourceSpec) -> dict[str, Any]:
    extension, data_type = PUBLISHED_FORMAT[res.media]
    sized = res.prefix not in NO_DIMENSIONS
    return {
        "extension": extension,
        "data_type": data_type,
        "size": res.size,
        "width": res.width if sized else None,
        "height": res.height if sized else None,
    }


def _spec_of(item: JSONDict, world: dict[tuple[str, str], AssetSpec]) -> AssetSpec:
    """The world's asset an item is about, from the original's file id (zone, master)."""
    ref = PhotoFileRef.parse(item["files"][0]["id"])
    return world[(ref.zone_name, ref.record_name)]


async def test_every_published_field_matches_the_world(
    connector: ICloudConnector, sandbox: RunningSandbox
) -> None:
    account = world_account(sandbox, "shared")
    world = _world_assets(account)
    _, items = await _items(connector, account.apple_id, PASSWORD)

    specs = [_spec_of(item, world) for item in items]
    assert sorted((s.zone, s.master_name) for s in specs) == sorted(world)  # each exactly once
    assert len({item["id"] for item in items}) == len(items)
    for item, spec in zip(items, specs, strict=True):
        assert item["data_type"] == "icpl.asset"
        assert item["filename"] == spec.filename
        assert item["date_created"] == _iso(spec.asset_date_ms)
        assert item["date_uploaded"] == _iso(spec.added_date_ms)
        published = [{k: f[k] for k in FILE_FIELDS} for f in item["files"]]
        assert published == _expected_files(spec), (spec.kind, spec.filename)

    kinds = {(s.zone.startswith("SharedSync-"), s.kind) for s in specs}
    for kind in ("live", "edited", "raw", "video", "screenshot", "heic", "jpeg"):
        assert (False, kind) in kinds, kind  # the private library holds every kind
    assert any(shared for shared, _ in kinds)  # and the Shared Library is published


async def test_downloaded_bytes_are_the_worlds_bytes(
    connector: ICloudConnector, sandbox: RunningSandbox
) -> None:
    account = world_account(sandbox, "shared")
    world = _world_assets(account)
    state, items = await _items(connector, account.apple_id, PASSWORD)
    sample: dict[str, JSONDict] = {}
    for item in items:  # one asset of each kind in each library
        spec = _spec_of(item, world)
        sample.setdefault(f"{spec.zone.startswith('SharedSync-')}:{spec.kind}", item)
    assert len(sample) >= 8
    for item in sample.values():
        spec = _spec_of(item, world)
        for entry, res in zip(item["files"], _published(spec), strict=True):
            ref = ContentRef(account.dsid, spec.zone != PRIMARY_ZONE, "g", spec.index, res.code)
            blob = resolve(sandbox.world, ref)
            assert blob is not None
            stream = await connector.open_file(state, entry["id"])
            got = b"".join([chunk async for chunk in stream.iter_bytes()])
            assert got == media.join(blob.pieces), (spec.kind, res.prefix)


async def test_unicode_filenames_match_the_replayed_capture(
    connector: ICloudConnector, sandbox: RunningSandbox
) -> None:
    account = sandbox.world.account(CHINESE)
    assert account is not None and isinstance(account.photos, ReplayLibrary)
    cassette = Path(account.photos.cassette)
    captured = {
        master_name: base64.b64decode(master["fields"]["filenameEnc"]["value"]).decode()
        for zone in load_capture(cassette)
        for master_name, master in zone.masters.items()
        if "filenameEnc" in master["fields"]
    }
    _, items = await _items(connector, CHINESE, REPLAY_PASSWORD)
    names = {PhotoFileRef.parse(i["files"][0]["id"]).record_name: i["filename"] for i in items}
    assert names and set(names) <= set(captured)
    assert names == {m: captured[m] for m in names}
    assert any(not name.isascii() for name in names.values())
