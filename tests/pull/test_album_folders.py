"""cloudtap.pull.album_folders on its own: album names from the server become one cleaned
name each, links stay in the copy, a symlink stands in where a hard link cannot be made,
and only the layout's own links are removed."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from cloudtap.pull import album_folders


def _album(album_id: str, name: str, kind: str = "user", parent: str | None = None) -> dict:
    return {"id": album_id, "name": name, "kind": kind, "parent": parent}


def test_hostile_names_become_one_folder_each_inside_albums() -> None:
    listed = [
        _album("f1", "..", "folder"),
        _album("a1", "../../etc", parent="f1"),
        _album("a2", "a/b\\c"),
        _album("a3", "a/b\\c"),  # a sibling of the same (cleaned) name
        _album("s1", "Favorites", "smart"),
    ]
    folders = album_folders.album_folders(listed)
    assert set(folders) == {"a1", "a2", "a3"}  # user albums only by default
    assert folders["a1"] == "albums/f1/_.._etc"  # "..": nothing left, so the folder's id
    assert folders["a2"] == "albums/a_b_c"
    assert folders["a3"].startswith("albums/a_b_c-") and folders["a3"] != folders["a2"]
    for path in folders.values():
        assert ".." not in path.split("/")


def test_a_parent_cycle_puts_albums_at_the_top() -> None:
    listed = [_album("f1", "A", "folder", parent="f2"), _album("f2", "B", "folder", parent="f1")]
    listed.append(_album("a1", "X", parent="f1"))
    folders = album_folders.album_folders(listed)
    assert folders["a1"].endswith("/X") and folders["a1"].startswith("albums/")
    assert len(folders["a1"].split("/")) <= 4


def test_symlink_when_no_hard_link_can_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "IMG_1.JPG").write_bytes(b"photo")

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EXDEV, "cross-device link")

    monkeypatch.setattr(os, "link", refuse)
    links = {"albums/Trip/IMG_1.JPG": "photos/IMG_1.JPG"}
    done = album_folders.mirror(tmp_path, {"a": "albums/Trip"}, links, {})
    link = tmp_path / "albums" / "Trip" / "IMG_1.JPG"
    assert link.is_symlink() and link.read_bytes() == b"photo"
    assert os.readlink(link) == "../../photos/IMG_1.JPG"  # relative: the copy can move
    assert done.kept == links and done.made == 1


def test_stale_links_go_strangers_and_paths_outside_are_left(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "IMG_1.JPG").write_bytes(b"photo")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("keep me")
    first = album_folders.mirror(
        tmp_path, {"a": "albums/Old"}, {"albums/Old/IMG_1.JPG": "photos/IMG_1.JPG"}, {}
    )
    assert (tmp_path / "albums" / "Old" / "IMG_1.JPG").stat().st_nlink == 2
    previous = {**first.kept, "../outside.txt": "photos/IMG_1.JPG"}  # a tampered manifest
    second = album_folders.mirror(tmp_path, {"a": "albums/New"}, {}, previous)
    assert not (tmp_path / "albums" / "Old").exists()  # the old name's folder is gone
    assert (tmp_path / "albums" / "New").is_dir()
    assert outside.read_text() == "keep me" and len(second.refused) == 1
    assert (tmp_path / "photos" / "IMG_1.JPG").read_bytes() == b"photo"


def test_a_link_whose_file_left_the_copy_goes_too(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    photo = tmp_path / "photos" / "IMG_1.JPG"
    photo.write_bytes(b"photo")
    links = {"albums/A/IMG_1.JPG": "photos/IMG_1.JPG"}
    first = album_folders.mirror(tmp_path, {"a": "albums/A"}, links, {})
    photo.unlink()  # e.g. removed by hand: the hard link alone would keep its bytes
    second = album_folders.mirror(tmp_path, {"a": "albums/A"}, links, first.kept)
    assert not (tmp_path / "albums" / "A" / "IMG_1.JPG").exists()
    assert second.kept == {} and (tmp_path / "albums" / "A").is_dir()
