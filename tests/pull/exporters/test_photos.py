"""Photo paths: icloudpd's --folder-structure syntax, and which resources are kept where."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from cloudtap.pull.exporters.photos import folder, resource_letter, wanted


def _file_id(letter: str) -> str:
    raw = f"p:P:ABCDEF:{letter}".encode()
    return "icpl://" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.fixture
def machine_zone() -> Iterator[None]:
    """The machine's local zone is New York (UTC-5 in February) for the test."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_folder_structures() -> None:
    moment = datetime(2024, 2, 9, 23, 30, tzinfo=UTC)
    assert folder(moment, "{:%Y/%m/%d}", "utc") == "2024/02/09"
    assert folder(moment, "%Y-%m", "utc") == "2024-02"
    assert folder(moment, "none") == ""


@pytest.mark.usefixtures("machine_zone")
def test_folders_use_the_local_day_like_icloudpd() -> None:
    """icloudpd formats ``photo.created.astimezone(get_localzone())``: a photo taken at
    02:30 UTC on the 10th is in New York's evening of the 9th."""
    after_utc_midnight = datetime(2024, 2, 10, 2, 30, tzinfo=UTC)
    before_utc_midnight = datetime(2024, 2, 9, 23, 30, tzinfo=UTC)
    after_local_midnight = datetime(2024, 2, 10, 5, 30, tzinfo=UTC)  # 00:30 in New York
    assert folder(after_utc_midnight, "{:%Y/%m/%d}") == "2024/02/09"
    assert folder(before_utc_midnight, "{:%Y/%m/%d}") == "2024/02/09"
    assert folder(after_local_midnight, "{:%Y/%m/%d}") == "2024/02/10"
    # The UTC option keeps the capture's UTC day.
    assert folder(after_utc_midnight, "{:%Y/%m/%d}", "utc") == "2024/02/10"
    item = {
        "id": "b4d5936032c273a0",
        "filename": "IMG_0001.JPG",
        "date_created": "2024-02-10T02:30:00Z",
        "files": [{"id": _file_id("o"), "extension": "jpg"}],
    }
    assert [w.path for w in wanted(item)] == ["photos/2024/02/09/IMG_0001.JPG"]
    assert [w.path for w in wanted(item, time_zone="utc")] == ["photos/2024/02/10/IMG_0001.JPG"]
    # The mtime is the capture instant whatever the zone.
    assert [w.mtime for w in wanted(item)] == [after_utc_midnight.timestamp()]


def test_variants_go_apart_and_renditions_stay_out() -> None:
    item = {
        "id": "b4d5936032c273a0",
        "filename": "IMG_0829.HEIC",
        "date_created": "2026-05-28T20:00:04.380000Z",
        "files": [
            {"id": _file_id(letter), "extension": ext}
            for letter, ext in (
                ("o", "heic"),
                ("a", "dng"),
                ("f", "jpg"),
                ("v", "mov"),
                ("m", "jpg"),
            )
        ],
    }
    got = {w.kind: w.path for w in wanted(item, time_zone="utc")}
    assert got == {
        "original": "photos/2026/05/28/IMG_0829.HEIC",
        "raw": "photos-raw/2026/05/28/IMG_0829.DNG",
        "edited": "photos-edited/2026/05/28/IMG_0829.JPG",
        "live": "photos/2026/05/28/IMG_0829.MOV",
    }
    mtimes = {w.mtime for w in wanted(item)}
    assert mtimes == {datetime(2026, 5, 28, 20, 0, 4, 380000, tzinfo=UTC).timestamp()}
    assert resource_letter("icpl://%%%") is None


def test_server_names_and_extensions_stay_in_their_folder() -> None:
    """A hostile server's id, file name and extensions: each becomes one plain name."""
    item = {
        "id": "../../../evil",
        "filename": "..",
        "date_created": "2024-02-09T12:00:00Z",
        "files": [
            {"id": _file_id("o")},
            {"id": _file_id("v"), "extension": "../../x"},
            {"id": _file_id("f"), "extension": "a/b\\c"},
            {"id": _file_id("a"), "extension": ".."},
        ],
    }
    got = {w.kind: w.path for w in wanted(item, time_zone="utc")}
    tops = {"original": "photos", "live": "photos", "edited": "photos-edited", "raw": "photos-raw"}
    assert set(got) == set(tops)
    for kind, path in got.items():
        top, year, month, day, name = path.split("/")  # one plain name in the day's folder
        assert (top, year, month, day) == (tops[kind], "2024", "02", "09"), path
        assert name not in (".", "..") and "\\" not in name, path
    assert got["original"].endswith("/_.._.._evil")
    assert got["live"].endswith(".x") and got["edited"].endswith(".abc")
    assert got["raw"].endswith(".bin")
