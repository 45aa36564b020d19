"""``shared-albums/`` paths from server data: hostile album names, filenames and
extensions stay one cleaned name each, repeated names are told apart, and only a shared
photo's original and live video are wanted."""

from __future__ import annotations

import base64

from cloudtap.pull.exporters.shared_albums import (
    FOLDER_KEY,
    album_folders,
    place,
    resource_letter,
    wanted,
)


def _file_id(record: str, letter: str) -> str:
    raw = "\n".join(("GUID", record, letter)).encode()
    return "icpl_shared://" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_album_names_become_one_clean_folder_each() -> None:
    albums = [
        {"id": "a", "name": "../../etc"},
        {"id": "b", "name": "Trip/2026"},
        {"id": "c", "name": "Trip/2026"},
        {"id": "d", "name": ".."},
    ]
    folders = album_folders(albums)
    assert all(f.count("/") == 1 and f.startswith("shared-albums/") for f in folders.values())
    assert folders["a"] == "shared-albums/_.._etc"
    assert folders["b"] != folders["c"] and folders["c"].startswith(folders["b"] + "-")
    assert folders["d"] == "shared-albums/d"  # the id where the name cleans to nothing


def test_only_originals_and_live_videos_with_clean_names() -> None:
    item = {
        "id": "x1",
        "filename": "../../IMG_1.HEIC",
        "date_created": "2026-05-01T10:00:00Z",
        "files": [
            {"id": _file_id("M", "o")},
            {"id": _file_id("M", "v"), "extension": "../mov"},
            {"id": _file_id("M", "m")},  # a rendition: not part of the copy
            {"id": "icpl://not-ours"},
        ],
    }
    (placed,) = place([item], "shared-albums/Trip")
    paths = [(w.path, w.kind) for w in wanted(placed)]
    assert paths == [
        ("shared-albums/Trip/_.._IMG_1.HEIC", "original"),
        ("shared-albums/Trip/_.._IMG_1.MOV", "live"),
    ]


def test_repeated_filenames_in_an_album_are_told_apart() -> None:
    items = [{"id": n, "filename": "IMG_1.JPG", "files": [{"id": _file_id(n, "o")}]} for n in "ab"]
    placed = place(items, "shared-albums/Trip")
    first, second = (wanted(i)[0].path for i in placed)
    assert first == "shared-albums/Trip/IMG_1.JPG" and second != first
    assert second.startswith("shared-albums/Trip/IMG_1-") and second.endswith(".JPG")


def test_items_without_a_shared_folder_want_nothing() -> None:
    item = {"id": "x", "filename": "a.jpg", "files": [{"id": _file_id("M", "o")}]}
    assert wanted(item) == []
    assert wanted({**item, FOLDER_KEY: "photos/2026"}) == []
    assert resource_letter("icpl_shared://!!!") is None
    assert resource_letter("icpl://abc") is None
