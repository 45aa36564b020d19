"""One module per export format. Each offers ``wanted(item)`` — the files an item needs
and where they go — and ``export(root, items, files)``, which rewrites its export from the
whole item set (``files`` maps a file id to its path under ``root`` once downloaded)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

Item = dict[str, Any]


@dataclass(frozen=True)
class Wanted:
    file_id: str
    path: str  # relative to the pull's root, "/"-separated
    mtime: float | None = None  # seconds since the epoch to set on the file, if any
    kind: str = ""  # what the file is to its item (original, live, edited, raw, image…)


def safe_name(text: str | None, fallback: str, limit: int = 80) -> str:
    """A file-system-safe name: no separators or control characters, never empty."""
    cleaned = "".join(
        "_" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in (text or "")
    ).strip(" .")
    return (cleaned[:limit].rstrip(" .") or fallback) if cleaned else fallback


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
