"""Shared albums → ``shared-albums/<Album>/<filename>``: each photo's original (and a live
photo's video beside it), the capture time as the file's mtime.

Shared albums' photos are copies Apple keeps apart from the library (ids of their own,
``icpl_shared://``), so they are files of their own here too, not links into the date
tree. Album names and filenames are server data: each becomes one cleaned name, two
albums of one name are told apart by a tag of their id, two photos of one name in an
album by a tag of theirs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cloudtap.pull.exporters import Item, Wanted, safe_extension, safe_name
from cloudtap.pull.exporters.photos import captured

DATA_TYPE = "icpl.shared_albums"  # the pull's name for the shared albums' photos
SHARED_DIR = "shared-albums"
FOLDER_KEY = "shared_album_folder"  # set on each item when it is listed
SCHEME = "icpl_shared://"
KINDS = {"o": "original", "v": "live"}  # renditions are not part of the copy


def _tag(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:7]


def album_folders(albums: list[Item]) -> dict[str, str]:
    """Shared album id → ``shared-albums/<name>`` (``<name>-<tag>`` for a repeated name)."""
    folders: dict[str, str] = {}
    taken: set[str] = set()
    for album in albums:
        album_id = str(album.get("id") or "")
        if not album_id:
            continue
        path = f"{SHARED_DIR}/{safe_name(album.get('name'), album_id)}"
        if path in taken:
            path = f"{path}-{_tag(album_id)}"
        taken.add(path)
        folders[album_id] = path
    return folders


def resource_letter(file_id: str) -> str | None:
    """``icpl_shared://<base64url of guid, record, letter>`` → the letter (ids of an
    earlier version add the photo's position)."""
    payload = file_id.removeprefix(SCHEME)
    if payload == file_id:
        return None
    try:
        parts = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode().split("\n")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return parts[2] if len(parts) in (3, 4) else None


def wanted(item: Item) -> list[Wanted]:
    folder = item.get(FOLDER_KEY)
    if not isinstance(folder, str) or not folder.startswith(f"{SHARED_DIR}/"):
        return []
    moment = captured(item)
    name = safe_name(item.get("filename"), str(item.get("id")))
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    taken = item.get("shared_name_tag")
    if isinstance(taken, str) and taken:
        stem = f"{stem}-{safe_name(taken, 'x')}"
        name = f"{stem}.{ext}" if ext else stem
    upper = bool(ext) and ext.isupper()
    mtime = moment.timestamp() if moment else None
    out = []
    for file in item.get("files") or []:
        file_id = str(file.get("id") or "")
        kind = KINDS.get(resource_letter(file_id) or "")
        if kind is None:
            continue
        if kind == "original":
            filename = name
        else:
            suffix = safe_extension(file.get("extension"), "bin")
            filename = f"{stem}.{suffix.upper() if upper else suffix}"
        out.append(Wanted(file_id, f"{folder}/{filename}", mtime, kind))
    return out


def place(items: list[Item], folder: str) -> list[Item]:
    """The album's items with their folder, and a tag where a filename repeats."""
    seen: dict[str, int] = {}
    out = []
    for item in items:
        key = safe_name(item.get("filename"), str(item.get("id"))).lower()
        seen[key] = seen.get(key, 0) + 1
        placed = {**item, FOLDER_KEY: folder}
        if seen[key] > 1:
            placed["shared_name_tag"] = _tag(str(item.get("id")))
        out.append(placed)
    return out
