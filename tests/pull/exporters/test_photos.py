"""Photo paths: icloudpd's --folder-structure syntax, and which resources are kept where."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from cloudtap.pull.exporters.photos import folder, resource_letter, wanted


def _file_id(letter: str) -> str:
    raw = f"p:P:ABCDEF:{letter}".encode()
    return "icpl://" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_folder_structures() -> None:
    moment = datetime(2024, 2, 9, 23, 30, tzinfo=UTC)
    assert folder(moment, "{:%Y/%m/%d}") == "2024/02/09"
    assert folder(moment, "%Y-%m") == "2024-02"
    assert folder(moment, "none") == ""


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
    got = {w.kind: w.path for w in wanted(item)}
    assert got == {
        "original": "photos/2026/05/28/IMG_0829.HEIC",
        "raw": "photos-raw/2026/05/28/IMG_0829.DNG",
        "edited": "photos-edited/2026/05/28/IMG_0829.JPG",
        "live": "photos/2026/05/28/IMG_0829.MOV",
    }
    mtimes = {w.mtime for w in wanted(item)}
    assert mtimes == {datetime(2026, 5, 28, 20, 0, 4, 380000, tzinfo=UTC).timestamp()}
    assert resource_letter("icpl://%%%") is None
