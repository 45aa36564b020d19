"""One module per export format. Each offers ``wanted(item)`` — the files an item needs
and where they go — and ``export(root, items, files)``, which rewrites its export from the
whole item set (``files`` maps a file id to its path under ``root`` once downloaded)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudtap.pull.paths import OutsideCopy, inside, write_new

Item = dict[str, Any]


@dataclass(frozen=True)
class Wanted:
    file_id: str
    path: str  # relative to the pull's root, "/"-separated
    mtime: float | None = None  # seconds since the epoch to set on the file, if any
    kind: str = ""  # what the file is to its item (original, live, edited, raw, image…)


def _cleaned(text: str, limit: int) -> str:
    kept = "".join("_" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in text)
    return kept.strip(" .")[:limit].rstrip(" .")


def safe_name(text: object, fallback: str, limit: int = 80) -> str:
    """A file-system-safe name: no separators or control characters, never empty, never
    ``.`` or ``..`` (the fallback, often the server's id, is cleaned the same way)."""
    return _cleaned(str(text or ""), limit) or _cleaned(fallback, limit) or "_"


def safe_extension(text: object, fallback: str) -> str:
    """A server's file extension as a name's suffix: letters and digits only."""
    kept = "".join(ch for ch in str(text or "") if ch.isascii() and ch.isalnum())[:16]
    return kept or fallback


def write_atomically(root: Path, relative: str, data: bytes) -> None:
    """Write ``relative`` under ``root`` in one step; ``OutsideCopy`` if it would land
    outside the folder."""
    write_new(inside(root, relative), data)


__all__ = ["Item", "OutsideCopy", "Wanted", "safe_extension", "safe_name", "write_atomically"]
