"""Mapping drivews replies to items: pyicloud's captured shapes, and replies that must
not pass for an empty folder."""

from __future__ import annotations

import pytest

from cloudtap.icloud import errors
from cloudtap.icloud.datatypes.icloud_drive import folder_items, parse_date, to_item

# pyicloud tests/const/const_drive.py, DRIVE_SUBFOLDER_WORKING's first file (as captured).
CAPTURED_FILE = {
    "drivewsid": "FILE::com.apple.CloudDocs::33A41112-4131-4938-9691-7F356CE3C51D",
    "docwsid": "33A41112-4131-4938-9691-7F356CE3C51D",
    "zone": "com.apple.CloudDocs",
    "name": "Document scanné 2",
    "parentId": "FOLDER::com.apple.CloudDocs::D5AA0425-E84F-4501-AF5D-60F1D92648CF",
    "dateModified": "2020-04-27T21:37:36Z",
    "dateChanged": "2020-04-27T14:44:29-07:00",
    "size": 19876991,
    "etag": "2k::2j",
    "extension": "pdf",
    "hiddenExtension": True,
    "lastOpenTime": "2020-04-27T21:37:36Z",
    "type": "FILE",
}


def test_a_captured_file() -> None:
    item = to_item(CAPTURED_FILE, "pyiCloud/Test/Document scanné 2.pdf", False)
    assert item["name"] == "Document scanné 2.pdf" and item["extension"] == "pdf"
    assert item["size"] == 19876991 and item["kind"] == "file"
    assert item["date_changed"] == "2020-04-27T21:44:29.000000Z"  # -07:00 read as such
    assert item["date_modified"] == "2020-04-27T21:37:36.000000Z"
    assert item["date_created"] is None and item["trashed"] is False
    [entry] = item["files"]
    assert entry["id"].startswith("icloud_drive://") and entry["size"] == 19876991


def test_dates_either_side_of_utc() -> None:
    east = parse_date("2024-01-01T09:00:00+09:00")
    west = parse_date("2023-12-31T16:00:00-08:00")
    assert east == west == parse_date("2024-01-01T00:00:00Z")
    assert parse_date("yesterday") is None and parse_date(None) is None


def test_replies_without_items() -> None:
    assert folder_items({"drivewsid": "x", "status": "ID_INVALID"}) is None
    assert folder_items({"items": [], "numberOfItems": 0}) == []
    for reply in ({"drivewsid": "x", "status": "UNKNOWN"}, {"items": None}, {}):
        with pytest.raises(errors.AppleUnavailable):
            folder_items(reply)
