"""A Drive file that moves (renamed, or into Recently Deleted) with the same content is
moved in the copy, not fetched again; a new version replaces the old at its place.
With a stand-in for the API (listing and file polls), the runner's own moves."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

from cloudtap.pull.client import Download
from cloudtap.pull.progress import PlainProgress
from cloudtap.pull.runner import DRIVE, PullOptions, Runner


def _item(path: str, file_id: str, trashed: bool = False) -> dict[str, Any]:
    return {
        "id": "FILE::com.apple.CloudDocs::A",
        "kind": "file",
        "path": path,
        "trashed": trashed,
        "date_modified": "2024-01-02T03:04:05.000000Z",
        "files": [{"id": file_id, "size": 5}],
    }


class DriveAPI:
    """Answers listing polls with the next listing, file polls with each file's bytes."""

    def __init__(self, *listings: list[dict[str, Any]]) -> None:
        self.listings = list(listings)
        self.fetched: list[str] = []

    def poll(self, session_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        if payload.get("files"):
            results = [{"id": f, "identifier": f, "size": 5} for f in payload["files"]]
        else:
            results = [{"id": "r", "identifier": DRIVE}]
        return {"id": "p", "date_completed": "2026-11-30T06:00:00Z", "results": {"data": results}}

    def json_result(self, result: dict[str, Any]) -> dict[str, Any]:
        return {"data": self.listings.pop(0)}

    def download(self, result: dict[str, Any], target: Path) -> Download:
        data = str(result["identifier"])[-5:].encode()
        self.fetched.append(str(result["identifier"]))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return Download(len(data), hashlib.md5(data).hexdigest())

    def ack(self, ids: list[str]) -> None:
        pass


def _run(root: Path, api: DriveAPI) -> dict[str, Any]:
    options = PullOptions(root=root, data_types=(DRIVE,))
    Runner(api, "s1", options, PlainProgress(io.StringIO())).run()  # type: ignore[arg-type]
    return dict(json.loads((root / "manifest.json").read_text()))


def test_a_moved_file_is_moved_and_a_new_version_replaces_the_old(tmp_path: Path) -> None:
    api = DriveAPI(
        [_item("Docs/a.txt", "icloud_drive://v1")],
        [_item("a.txt", "icloud_drive://v1", trashed=True)],  # trashed, same content
        [_item("a.txt", "icloud_drive://v2", trashed=True)],  # a new version
    )
    _run(tmp_path, api)
    assert (tmp_path / "drive/Docs/a.txt").read_bytes() == b"://v1"
    manifest = _run(tmp_path, api)
    assert api.fetched == ["icloud_drive://v1"]  # moved, not fetched again
    assert not (tmp_path / "drive/Docs/a.txt").exists()
    assert (tmp_path / "drive-recently-deleted/a.txt").read_bytes() == b"://v1"
    assert manifest["files"]["icloud_drive://v1"]["path"] == "drive-recently-deleted/a.txt"
    manifest = _run(tmp_path, api)
    assert api.fetched == ["icloud_drive://v1", "icloud_drive://v2"]
    assert (tmp_path / "drive-recently-deleted/a.txt").read_bytes() == b"://v2"
    assert set(manifest["files"]) == {"icloud_drive://v2"}
