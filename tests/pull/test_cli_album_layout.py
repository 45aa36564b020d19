"""``cloudtap pull --sandbox --layout albums`` run as a user runs it: every album of the
sandbox world's ``rich@`` a folder (``albums/<Folder>/<Album>/``) holding exactly its
assets, each a link to the date tree's file (same inode, or a symlink to it), a second
pull fetching nothing, and an album renamed or removed on Apple's side reflected on the
next pull without any photo fetched again."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from cloudtap.icloud.files.icpl import PhotoFileRef
from cloudtap.sandbox.cloudkit.context import state_of
from cloudtap.sandbox.photos.container import PRIMARY_ZONE, source_for
from cloudtap.sandbox.photos.edits import PhotosEdits
from cloudtap.sandbox.photos.library import AlbumSpec
from tests.pull.ground_truth import photo_index
from tests.pull.sandbox_world import PullSandbox, run_pull

RICH = "rich@sandbox.cloudtap.dev"
UNICODE = "Été à Tōkyō 🌸"


def _world_folders(albums: list[AlbumSpec]) -> dict[str, tuple[str, set[int]]]:
    """album id → (its folder in the copy, the indices of its assets), from the world."""
    by_id = {a.record_name: a for a in albums}

    def path(album: AlbumSpec) -> str:
        parent = by_id.get(album.parent_id or "")
        above = path(parent) if parent is not None and parent.name else "albums"
        return f"{above}/{album.name}"

    out = {}
    for album in albums:
        if album.album_type == 0 and album.members is not None:
            members = {album.members.at(r) for r in range(len(album.members))}
            out[album.record_name] = (path(album), members)
    return out


def _held(root: Path, folder: Path, by_inode: dict[tuple[int, int], str]) -> set[str]:
    """The date tree files an album folder's entries are, each checked to be a link
    (same inode as the date tree's file, or a symlink to it): no bytes stored twice."""
    held = set()
    for entry in folder.iterdir():
        assert not entry.is_dir(), entry
        if entry.is_symlink():
            target = entry.resolve().relative_to(root.resolve()).as_posix()
            assert target.startswith("photos/"), target
            held.add(target)
        else:
            st = entry.stat()
            assert (st.st_dev, st.st_ino) in by_inode, f"{entry} is a copy, not a link"
            held.add(by_inode[(st.st_dev, st.st_ino)])
    return held


def _check_mirror(sandbox: PullSandbox, root: Path) -> None:
    account = sandbox.account(RICH)
    manifest = json.loads((root / "manifest.json").read_text())
    by_inode = {}
    asset_of: dict[str, int] = {}
    for file_id, entry in manifest["files"].items():
        st = (root / entry["path"]).stat()
        by_inode[(st.st_dev, st.st_ino)] = entry["path"]
        if entry["data_type"] != "icpl.photos":
            continue  # shared albums' own files (shared-albums/), never linked from albums/
        ref = PhotoFileRef.parse(file_id)
        if entry["kind"] in ("original", "live") and ref.zone_name == PRIMARY_ZONE:
            asset_of[entry["path"]] = photo_index(account, PRIMARY_ZONE, ref.record_name)
    expected = _world_folders(source_for(account, "private", PRIMARY_ZONE).albums())
    for folder, members in expected.values():
        held = _held(root, root / folder, by_inode)
        assert {asset_of[p] for p in held} == members, folder
        originals = [p for p in held if manifest_kind(manifest, p) == "original"]
        assert len(originals) == len(members), folder  # every asset's original, once
    made = {p.relative_to(root).as_posix() for p in (root / "albums").rglob("*") if p.is_dir()}
    parents = {str(p) for f, _ in expected.values() for p in Path(f).parents} - {".", "albums"}
    assert made == {f for f, _ in expected.values()} | parents  # no folder of an old name


def manifest_kind(manifest: dict[str, dict[str, dict[str, str]]], path: str) -> str:
    return next(e["kind"] for e in manifest["files"].values() if e["path"] == path)


@contextmanager
def _albums_edited(
    sandbox: PullSandbox, edit: Callable[[list[AlbumSpec]], list[AlbumSpec]]
) -> Iterator[None]:
    """Stand in for the owner's Photos app changing ``rich@``'s albums (undone after)."""
    account = sandbox.account(RICH)
    albums = source_for(account, "private", PRIMARY_ZONE).albums()
    before = list(albums)
    albums[:] = edit(before)
    edits = state_of(sandbox.world, "photos-edits", PhotosEdits)
    edits.albums_changed(account.dsid, PRIMARY_ZONE)
    try:
        yield
    finally:
        albums[:] = before
        edits.albums_changed(account.dsid, PRIMARY_ZONE)


def test_album_layout_links_each_album_to_the_date_tree(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    root = tmp_path / "copy"
    env = pull_sandbox.env(tmp_path)
    args = ("--sandbox", "--to", str(root), "--data-types", "icpl.photos", "--layout", "albums")
    done = run_pull(env, *args)
    assert done.returncode == 0, done.stderr
    _check_mirror(pull_sandbox, root)
    assert (root / "albums" / "Trips" / "Europe" / "Rome").is_dir()
    assert list((root / "albums" / "Empty").iterdir()) == []
    assert any((root / "albums" / UNICODE).iterdir())

    again = run_pull(env, *args)
    assert again.returncode == 0, again.stderr
    assert ": 0 files fetched" in again.stdout
    _check_mirror(pull_sandbox, root)

    def rename_rome_drop_paris(albums: list[AlbumSpec]) -> list[AlbumSpec]:
        kept = [a for a in albums if a.name != "Paris"]
        return [replace(a, name="Roma") if a.name == "Rome" else a for a in kept]

    photos_before = {p: p.stat().st_ino for p in (root / "photos").rglob("*") if p.is_file()}
    with _albums_edited(pull_sandbox, rename_rome_drop_paris):
        changed = run_pull(env, *args)
        assert changed.returncode == 0, changed.stderr
        assert ": 0 files fetched" in changed.stdout
        _check_mirror(pull_sandbox, root)
    europe = root / "albums" / "Trips" / "Europe"
    assert sorted(p.name for p in europe.iterdir()) == ["Roma"]
    assert not (root / "albums" / "Trips" / "Paris").exists()
    photos_after = {p: p.stat().st_ino for p in (root / "photos").rglob("*") if p.is_file()}
    assert photos_after == photos_before  # the date tree untouched, nothing fetched again
    assert os.listdir(root / "albums" / "Trips") == ["Europe"]
