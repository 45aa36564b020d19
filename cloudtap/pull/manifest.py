"""``manifest.json``: what the copy holds — counts, file checksums, listing cursors,
deletions seen on Apple's side, and a short history of runs.

Written atomically (a temporary file renamed over it). Each finished file is also
appended at once to a journal beside it (one JSON line, cheap whatever the manifest's
size), which the next load replays: a pull killed at any moment still knows exactly the
files that are complete.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from cloudtap.pull.paths import OutsideCopy, append_private, inside, write_new

MANIFEST = "manifest.json"
JOURNAL = ".cloudtap-pull/files.journal"
SAVE_EVERY_SECONDS = 5.0
VERSION = 1
KEPT_RUNS = 50


Refusal = dict[str, str]  # path, reason, what (the file), source (manifest or journal)


class Manifest:
    def __init__(self, root: Path, data: dict[str, Any], refused: list[Refusal]) -> None:
        self.root, self.data, self.refused = root, data, refused
        self._saved_at = time.monotonic()

    @classmethod
    def load(cls, root: Path) -> Manifest:
        path = inside(root, MANIFEST)  # itself a symlink out of the folder: refused
        data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        if not isinstance(data, dict) or not isinstance(data.get("files", {}), dict):
            raise ValueError(f"{root / MANIFEST} is not a cloudtap pull manifest")
        data.setdefault("version", VERSION)
        data.setdefault("data_types", {})
        data.setdefault("runs", [])
        refused: list[Refusal] = []
        files: dict[str, Any] = {}
        for file_id, entry in data.get("files", {}).items():
            _admit(root, files, file_id, entry, MANIFEST, refused)
        journal = inside(root, JOURNAL)
        if journal.exists():
            for line in journal.read_text().splitlines():
                try:
                    file_id, entry = json.loads(line)
                except (ValueError, TypeError):
                    continue  # the line being written when the process died
                _admit(root, files, file_id, entry, "files.journal", refused)
        data["files"] = files
        return cls(root, data, refused)

    def save(self) -> None:
        text = json.dumps(self.data, indent=1, sort_keys=True, ensure_ascii=False)
        write_new(self.root / MANIFEST, text.encode())
        (self.root / JOURNAL).unlink(missing_ok=True)  # everything in it is in the manifest
        self._saved_at = time.monotonic()

    def data_type(self, data_type: str) -> dict[str, Any]:
        entry: dict[str, Any] = self.data["data_types"].setdefault(data_type, {})
        entry.setdefault("deleted", {})
        return entry

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        files: dict[str, dict[str, Any]] = self.data["files"]
        return files

    def intact(self, file_id: str, verify: bool = False) -> bool:
        """The file is on disk as recorded (size always; MD5 too when ``verify``)."""
        entry = self.files.get(file_id)
        if entry is None:
            return False
        try:
            path = inside(self.root, entry.get("path"))
            if path.stat().st_size != entry.get("size"):
                return False
        except (OSError, OutsideCopy):
            return False
        return not verify or md5_of(path) == entry.get("md5")

    def record_file(self, file_id: str, entry: dict[str, Any]) -> None:
        self.files[file_id] = entry
        line = json.dumps([file_id, entry], ensure_ascii=False) + "\n"
        append_private(inside(self.root, JOURNAL), line)
        if time.monotonic() - self._saved_at > SAVE_EVERY_SECONDS:
            self.save()  # keep manifest.json itself current for whoever reads it meanwhile

    def add_run(self, run: dict[str, Any]) -> None:
        self.data["runs"] = [*self.data["runs"], run][-KEPT_RUNS:]


def _admit(
    root: Path,
    files: dict[str, Any],
    file_id: object,
    entry: object,
    source: str,
    refused: list[Refusal],
) -> None:
    """Keep ``entry`` if it is a file entry whose path stays inside ``root``."""
    if not isinstance(file_id, str):
        return
    path = entry.get("path") if isinstance(entry, dict) else None
    try:
        inside(root, path)
    except OutsideCopy as exc:
        files.pop(file_id, None)  # an earlier, sound entry of the file is no longer current
        refused.append({"path": exc.path, "reason": exc.reason, "what": file_id, "source": source})
        return
    files[file_id] = entry


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()
