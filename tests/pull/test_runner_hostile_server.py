"""A hostile server's names, ids and extensions, through the runner: every file lands
inside the folder (a stand-in answers the API's few calls)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from pathlib import Path
from typing import Any

from cloudtap.pull.client import Download
from cloudtap.pull.progress import PlainProgress
from cloudtap.pull.runner import PHOTOS, PullOptions, Runner


def _file_id(record: str, letter: str) -> str:
    raw = f"p:PrimarySync:{record}:{letter}".encode()
    return "icpl://" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


HOSTILE = [
    {
        "id": f"../../{n}",
        "filename": "../../../etc/passwd",
        "date_created": "2024-02-09T12:00:00Z",
        "files": [
            {"id": _file_id(f"R{n}", "o")},
            {"id": _file_id(f"R{n}", "v"), "extension": "../../x/y"},
        ],
    }
    for n in range(2)  # the same name twice: the second is told apart by its id
]


class HostileApi:
    def __init__(self) -> None:
        self.targets: list[Path] = []

    def poll(self, session_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        wanted = payload.get("files") or payload["data_types"]
        results = [{"id": f"r-{w}", "identifier": w} for w in wanted]
        return {"id": "p1", "date_completed": "2026-11-30T06:00:00Z", "results": {"data": results}}

    def json_result(self, result: dict[str, Any]) -> dict[str, Any]:
        return {"data": HOSTILE}

    def download(self, result: dict[str, Any], target: Path) -> Download:
        self.targets.append(target)
        data = str(result["identifier"]).encode()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return Download(len(data), hashlib.md5(data, usedforsecurity=False).hexdigest())

    def ack(self, ids: list[str]) -> None:
        pass


def test_hostile_names_and_extensions_land_inside_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "deep/er/copy"
    root.mkdir(parents=True)  # as `pull` makes it
    api = HostileApi()
    options = PullOptions(root=root, data_types=(PHOTOS,), folder_time_zone="utc")
    Runner(api, "s1", options, PlainProgress(io.StringIO())).run()  # type: ignore[arg-type]
    assert len(api.targets) == 4
    for target in api.targets:
        assert target.resolve().is_relative_to(root.resolve()), target
    files = json.loads((root / "manifest.json").read_text())["files"]
    paths = sorted(entry["path"] for entry in files.values())
    assert len(set(paths)) == 4 and all(".." not in p.split("/") for p in paths), paths
    assert [p.name for p in tmp_path.iterdir()] == ["deep"]
    assert sorted(p.name for p in (tmp_path / "deep/er").iterdir()) == ["copy"]
