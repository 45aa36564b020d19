"""Shared albums pulled by ``cloudtap pull`` as a user runs it, against the sandbox: each
into ``shared-albums/<Album>/``, holding exactly the album's photos with the world's
bytes, and a second pull fetching nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from cloudtap.sandbox.photos.content import resolve
from cloudtap.sandbox.photos.media import join
from cloudtap.sandbox.photos.shared_streams import ALBUM_STRIDE, SharedStream, shared_streams
from cloudtap.sandbox.photos.urls import ContentRef
from cloudtap.sandbox.world import SandboxWorld
from tests.pull.sandbox_world import PASSWORD, PLAIN, PullSandbox, run_pull

RICH = "rich@sandbox.cloudtap.dev"
SKI = "Ski trip ❄️"


def _env(sandbox: PullSandbox, home: Path) -> dict[str, str]:
    return {**sandbox.env(home), "RICH_PASSWORD": PASSWORD}


def _expected(world: SandboxWorld, dsid: str, stream: SharedStream) -> dict[str, str]:
    """file name → SHA-256 of the world's bytes: each photo's original and live video."""
    out: dict[str, str] = {}
    for position, photo in enumerate(stream.photos):
        for res in photo.spec.resources:
            if res.prefix not in ("resOriginal", "resOriginalVidCompl"):
                continue
            blob = resolve(
                world,
                ContentRef(dsid, False, "s", stream.ordinal * ALBUM_STRIDE + position, res.code),
            )
            assert blob is not None
            name = photo.spec.filename
            if res.prefix == "resOriginalVidCompl":
                name = name.rsplit(".", 1)[0] + ".MOV"
            out[name] = hashlib.sha256(join(blob.pieces)).hexdigest()
    return out


def _held(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_a_shared_album_is_pulled_into_its_folder_and_not_fetched_again(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    root = tmp_path / "copy"
    account = pull_sandbox.account(RICH)
    ski = next(s for s in shared_streams(account) if s.name == SKI)
    args = (
        RICH, "--to", str(root), "--password-env", "RICH_PASSWORD",
        "--data-types", "icpl.photos", "--album", SKI,
    )  # fmt: skip
    done = run_pull(_env(pull_sandbox, tmp_path), *args)
    assert done.returncode == 0, done.stderr
    expected = _expected(pull_sandbox.world, account.dsid, ski)
    assert len(expected) > len(ski.photos) - 1  # originals (and any live videos)
    assert _held(root / "shared-albums" / SKI) == expected
    assert not (root / "photos").exists()  # only the shared album was asked for
    assert sorted(p.name for p in (root / "shared-albums").iterdir()) == [SKI]
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["data_types"]["icpl.shared_albums"]["count"] == len(ski.photos)

    again = run_pull(_env(pull_sandbox, tmp_path), *args)
    assert again.returncode == 0, again.stderr
    assert ": 0 files fetched" in again.stdout
    assert _held(root / "shared-albums" / SKI) == expected


def test_a_photos_pull_brings_every_shared_album_beside_the_date_tree(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    root = tmp_path / "copy"
    account = pull_sandbox.account(PLAIN)  # six photos: a whole pull stays quick
    args = (
        PLAIN,
        "--to",
        str(root),
        "--password-env",
        "RICH_PASSWORD",
        "--data-types",
        "icpl.photos",
    )
    done = run_pull(_env(pull_sandbox, tmp_path), *args)
    assert done.returncode == 0, done.stderr
    streams = shared_streams(account)
    assert sorted(p.name for p in (root / "shared-albums").iterdir()) == sorted(
        s.name for s in streams
    )
    for stream in streams:
        expected = _expected(pull_sandbox.world, account.dsid, stream)
        assert _held(root / "shared-albums" / stream.name) == expected, stream.name
    assert streams and any((root / "photos").rglob("*.*"))  # the date tree as before
    again = run_pull(_env(pull_sandbox, tmp_path), *args)
    assert again.returncode == 0, again.stderr
    assert ": 0 files fetched" in again.stdout


def test_a_photo_removed_from_a_shared_album_fetches_nothing_and_is_recorded_deleted(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    """Every later photo moves up one place when the first goes: their files keep their
    ids (they name the photo, not its place), so the next pull fetches none of them."""
    root = tmp_path / "copy"
    account = pull_sandbox.account(PLAIN)
    family = shared_streams(account)[0]
    args = (
        PLAIN, "--to", str(root), "--password-env", "RICH_PASSWORD",
        "--data-types", "icpl.photos", "--album", family.name,
    )  # fmt: skip
    done = run_pull(_env(pull_sandbox, tmp_path), *args)
    assert done.returncode == 0, done.stderr
    expected = _expected(pull_sandbox.world, account.dsid, family)
    folder = root / "shared-albums" / family.name
    assert _held(folder) == expected

    pull_sandbox.world.remove_shared_photo(PLAIN, family.guid, 0)
    try:
        again = run_pull(_env(pull_sandbox, tmp_path), *args)
    finally:
        pull_sandbox.world.restore_shared_photo(PLAIN, family.guid, 0)
    assert again.returncode == 0, again.stderr
    assert ": 0 files fetched" in again.stdout, again.stdout
    manifest = json.loads((root / "manifest.json").read_text())
    entry = manifest["data_types"]["icpl.shared_albums"]
    assert len(entry["deleted"]) == 1
    assert entry["count"] == len(family.photos) - 1
    assert _held(folder) == expected  # the removed photo's file is kept until asked
