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
import os
import time
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
JOURNAL = ".cloudtap-pull/files.journal"
SAVE_EVERY_SECONDS = 5.0
VERSION = 1
KEPT_RUNS = 50


class Manifest:
    def __init__(self, root: Path, data: dict[str, Any]) -> None:
        self.root, self.data = root, data
        self._saved_at = time.monotonic()

    @classmethod
    def load(cls, root: Path) -> Manifest:
        path = root / MANIFEST
        data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        data.setdefault("version", VERSION)
        data.setdefault("data_types", {})
        data.setdefault("files", {})
        data.setdefault("runs", [])
        journal = root / JOURNAL
        if journal.exists():
            for line in journal.read_text().splitlines():
                try:
                    file_id, entry = json.loads(line)
                except ValueError:
                    continue  # the line being written when the process died
                data["files"][file_id] = entry
        return cls(root, data)

    def save(self) -> None:
        path = self.root / MANIFEST
        tmp = path.with_name(f".{MANIFEST}.tmp")
        tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True, ensure_ascii=False))
        os.replace(tmp, path)
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
        path = self.root / entry["path"]
        try:
            if path.stat().st_size != entry["size"]:
                return False
        except OSError:
            return False
        return not verify or md5_of(path) == entry["md5"]

    def record_file(self, file_id: str, entry: dict[str, Any]) -> None:
        self.files[file_id] = entry
        journal = self.root / JOURNAL
        journal.parent.mkdir(parents=True, exist_ok=True)
        with open(journal, "a") as fh:
            fh.write(json.dumps([file_id, entry], ensure_ascii=False) + "\n")
        if time.monotonic() - self._saved_at > SAVE_EVERY_SECONDS:
            self.save()  # keep manifest.json itself current for whoever reads it meanwhile

    def add_run(self, run: dict[str, Any]) -> None:
        self.data["runs"] = [*self.data["runs"], run][-KEPT_RUNS:]


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()
