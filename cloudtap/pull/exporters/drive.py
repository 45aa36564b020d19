"""iCloud Drive → ``drive/`` as the same tree (app libraries as folders named like them,
``drive/Pages/Letter.pages``), each file with its modification time; what is in Recently
Deleted under ``drive-recently-deleted/``, apart, so a restore never collides with a
live file. Empty folders are made too. A package (``.pages``) is the zip Apple hands out.

Every path segment comes from the server and is cleaned into one plain name (no
separators, at most 255 bytes in UTF-8, the extension kept) before use.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cloudtap.pull.exporters import Item, OutsideCopy, Wanted, safe_name
from cloudtap.pull.paths import inside

DATA_TYPE = "icloud_drive.files"
LIVE, TRASHED = "drive", "drive-recently-deleted"
_NAME_BYTES = 255  # what common file systems allow for one name


def _fit(name: str) -> str:
    """``name`` cut to at most 255 UTF-8 bytes, keeping its extension."""
    if len(name.encode()) <= _NAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension.encode()) > 32:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    room = _NAME_BYTES - len(suffix.encode())
    cut = stem.encode()[:room].decode(errors="ignore").rstrip(" .")
    return (cut or "_") + suffix


def relative_path(item: Item) -> str:
    """Where the item goes under the copy's root (``""`` for the Drive root itself)."""
    parts = [p for p in str(item.get("path") or "").split("/") if p]
    cleaned = [_fit(safe_name(p, str(item.get("id")), limit=_NAME_BYTES)) for p in parts]
    top = TRASHED if item.get("trashed") else LIVE
    return "/".join([top, *cleaned])


def modified(item: Item) -> float | None:
    value = item.get("date_modified")
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def wanted(item: Item) -> list[Wanted]:
    if item.get("kind") != "file":
        return []
    files = item.get("files") or []
    if not files or not files[0].get("id"):
        return []
    return [Wanted(str(files[0]["id"]), relative_path(item), modified(item), "file")]


def export(root: Path, items: dict[str, Item], files: dict[str, str]) -> list[OutsideCopy]:
    """Make every folder of the tree (empty ones too); files are placed as they arrive."""
    refused: list[OutsideCopy] = []
    for item in items.values():
        if item.get("kind") == "file" or not item.get("path"):
            continue
        try:
            inside(root, relative_path(item)).mkdir(parents=True, exist_ok=True)
        except OutsideCopy as exc:
            refused.append(exc)
    return refused
