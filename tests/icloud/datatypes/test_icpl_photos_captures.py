"""Real captured photo listings, parsed into the seed's ``icpl.asset`` items.

The expected values are read straight from each capture's CPLMaster/CPLAsset records,
so every item, filename, size and dimension is checked against what Apple sent.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest

from cloudtap.icloud.datatypes.icpl_photos import to_item
from cloudtap.icloud.files.icpl import PhotoFileRef
from cloudtap.icloud.services.photos import PhotoZone, join_page
from tests.icloud.captures import listing_replies

LISTINGS = [
    "listing_photos.yml",
    "listing_photos_chinese.yml",
    "listing_photos_missing_filenameEnc.yml",
    "listing_photos_raw_alt.yml",
    "listing_videos.yml",
]
ITEM_KEYS = {"id", "data_type", "filename", "files", "date_created", "date_uploaded"}
FILE_KEYS = {"id", "data_type", "extension", "size", "width", "height"}


def parse(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(items, the capture's CPLAsset records in the same order, each with its master)."""
    items, expected = [], []
    for scope, zone_id, reply in listing_replies(path):
        zone = PhotoZone(scope, zone_id)
        joined, orphans = join_page(zone, reply["records"])
        assert orphans == []
        masters = {r["recordName"]: r for r in reply["records"] if r["recordType"] == "CPLMaster"}
        for record in reply["records"]:
            if record["recordType"] == "CPLAsset":
                name = record["fields"]["masterRef"]["value"]["recordName"]
                expected.append({"asset": record, "master": masters[name]})
        items += [to_item(assets) for assets in joined]
    return items, expected


def captured_name(master: dict[str, Any]) -> str | None:
    field = master["fields"].get("filenameEnc")
    return base64.b64decode(field["value"]).decode("utf-8") if field else None


@pytest.mark.parametrize("cassette", LISTINGS)
def test_every_captured_asset_becomes_one_item(captures_dir: Path, cassette: str) -> None:
    items, expected = parse(captures_dir / cassette)
    assert len(items) == len(expected) > 0
    assert len({item["id"] for item in items}) == len(items)
    for item, records in zip(items, expected, strict=True):
        assert set(item) == ITEM_KEYS
        assert item["data_type"] == "icpl.asset"
        master = records["master"]
        original = master["fields"]["resOriginalRes"]["value"]
        first = item["files"][0]
        assert set(first) == FILE_KEYS
        # The original comes first: ricloud-py's --cascade downloads files[0].
        assert first["size"] == original["size"]
        assert first["width"] == master["fields"]["resOriginalWidth"]["value"]
        assert first["height"] == master["fields"]["resOriginalHeight"]["value"]
        assert PhotoFileRef.parse(first["id"]).record_name == master["recordName"]
        name = captured_name(master)
        if name is not None:
            assert item["filename"] == name


def test_listing_photos_counts_and_shared_library(captures_dir: Path) -> None:
    items, _ = parse(captures_dir / "listing_photos.yml")
    assert len(items) == 101  # 100 in PrimarySync + 1 in the Shared Library zone
    assert items[0]["filename"] == "IMG_7409.JPG"
    assert items[-1]["filename"] == "solvej dk.png"
    assert PhotoFileRef.parse(items[-1]["files"][0]["id"]).scope == "shared"
    assert items[0]["date_uploaded"].endswith("Z")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", items[0]["date_created"])


def test_chinese_filename_is_decoded_as_utf8(captures_dir: Path) -> None:
    items, _ = parse(captures_dir / "listing_photos_chinese.yml")
    assert items[0]["filename"] == "IMG_中文_7409.JPG"


def test_missing_filename_falls_back_to_record_name_and_type(captures_dir: Path) -> None:
    items, expected = parse(captures_dir / "listing_photos_missing_filenameEnc.yml")
    unnamed = [
        (item, rec["master"])
        for item, rec in zip(items, expected, strict=True)
        if captured_name(rec["master"]) is None
    ]
    assert len(unnamed) == 3
    names = [item["filename"] for item, _ in unnamed]
    assert names == ["AY6cBsE0jjaX.JPG", "AZwAGT9P6jhr.JPG", "AYR3dhJpz0Na.MOV"]


def test_raw_alternative_and_live_photo_files(captures_dir: Path) -> None:
    items, expected = parse(captures_dir / "listing_photos_raw_alt.yml")
    raw = next(i for i in items if i["filename"] == "IMG_7409.CR2")
    kinds = [(f["data_type"], f["extension"]) for f in raw["files"]]
    master = expected[items.index(raw)]["master"]["fields"]
    assert master["resOriginalAltRes"]["value"]["size"] in [f["size"] for f in raw["files"]]
    assert ("image", "jpg") in kinds
    live = [i for i in items if any(f["extension"] == "mov" for f in i["files"][1:])]
    assert live, "live-photo videos are published as files of their photo"


def test_videos_are_video_files(captures_dir: Path) -> None:
    items, _ = parse(captures_dir / "listing_videos.yml")
    movie = next(i for i in items if i["filename"].endswith(".MOV"))
    assert movie["files"][0]["data_type"] == "video"
    assert movie["files"][0]["extension"] == "mov"
