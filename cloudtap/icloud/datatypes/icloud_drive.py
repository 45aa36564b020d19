"""Data type ``icloud_drive.files``: every folder and file of iCloud Drive.

Items (``icloud_drive.item``): the Drive root, app libraries (Pages, Numbers, …), their
folders and files, and what lies in Recently Deleted (``trashed``), each with ``id`` (the
``drivewsid``), ``parent``, ``path``, ``name`` (with its extension), ``extension``,
``size``, ``date_created`` / ``date_modified`` / ``date_changed`` / ``date_last_opened``,
``etag``, ``kind`` (``folder``, ``file``, ``app_library``) and ``trashed``; a file item's
``files`` holds its ``icloud_drive://`` file id.

The tree is listed level by level, the folders of a level together in
``retrieveItemDetailsInFolders`` (up to 1,000 folders and about 20,000 children a
request: ``drive.folder_batches``, each reply read a folder at a time), so a listing
costs about one Apple request per level of depth, and drive-100k@'s 5,000 folders seven.
A folder another Apple ID shares is listed like one's own, each folder in it with its
``shareID``, and its files download from their owner's zone (``shared``: true).
Incremental: the cursor keeps a digest of each item (its etag, path, size, dates;
compactly, ``drive_marks``); a later listing walks the tree again, the same way, but
yields only items whose digest changed, and reports items no longer there as deleted.
No subtree is skipped on its folder's etag: in captured listings a folder's etag does
not follow its children's (docs/apple-evidence.md, "iCloud Drive").
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, NamedTuple

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes.common import iso
from cloudtap.icloud.datatypes.drive_marks import (
    CURSOR_KEY,
    KnownMarks,
    NewMarks,
    known_marks,
    mark_of,
)
from cloudtap.icloud.datatypes.stream import CursorSink, removed
from cloudtap.icloud.files.drive_file import DriveFileRef, content_etag, file_extension
from cloudtap.icloud.services import drive

DATA_TYPE = "icloud_drive.files"
ITEM_TYPE = "icloud_drive.item"
# A tree deeper than this is not one Apple would hold; stop rather than walk forever.
MAX_DEPTH = 256
_KINDS = {"FILE": "file", "FOLDER": "folder", "APP_LIBRARY": "app_library"}
# A folder another Apple ID shares with the account, and what lies in it (pyicloud
# 2026.10.1's DriveNode.owner_record_name; rclone's iclouddrive backend).
SHARED_PREFIXES = ("SHARED_FOLDER::", "FOLDER_IN_SHARED_FOLDER::", "FILE_IN_SHARED_FOLDER::")


class _Folder(NamedTuple):
    """A folder still to list: where it is, and through which host."""

    id: str
    path: str
    trashed: bool
    expected: int | None  # its directChildrenCount, when given
    share: dict[str, Any] | None = None  # the shareID it is listed with (a shared folder)


def parse_date(value: Any) -> datetime | None:
    """Apple's ``2020-04-27T21:37:36Z`` or ``2020-04-27T14:44:29-07:00`` (in UTC)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(value: Any) -> str | None:
    moment = parse_date(value)
    return iso(moment) if moment else None


def full_name(raw: dict[str, Any]) -> str:
    name = str(raw.get("name") or "")
    extension = raw.get("extension")
    return f"{name}.{extension}" if isinstance(extension, str) and extension else name


def _size(raw: dict[str, Any]) -> int | None:
    value = raw.get("size") if raw.get("type") == "FILE" else raw.get("assetQuota")
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        size = int(value)
    except ValueError:
        return None
    return size if size >= 0 else None


def _files(raw: dict[str, Any]) -> list[JSONDict]:
    size = _size(raw)
    zone, document = raw.get("zone"), raw.get("docwsid")
    if raw.get("type") != "FILE" or size is None or not zone or not document:
        return []
    given = raw.get("extension")
    extension = file_extension(given if isinstance(given, str) else None)
    etag = content_etag(raw.get("etag"))
    ref = DriveFileRef(str(zone), str(document), size, extension, etag, _owner(raw))
    return [{"id": ref.to_id(), "data_type": "file", "extension": extension, "size": size}]


def _owner(raw: dict[str, Any]) -> str:
    """A file in a folder another Apple ID shares lies in its owner's zone: the owner's
    record name addresses it (pyicloud's ``owner_record_name``); "" for one's own."""
    owner = raw.get("owner")
    name = owner.get("ownerRecordName") if isinstance(owner, dict) else None
    if not str(raw.get("drivewsid") or "").startswith(SHARED_PREFIXES[1:]):
        return ""
    return name if isinstance(name, str) and raw.get("shareID") else ""


def to_item(raw: dict[str, Any], path: str, trashed: bool) -> JSONDict:
    extension = raw.get("extension")
    return {
        "id": str(raw.get("drivewsid")),
        "data_type": ITEM_TYPE,
        "parent": raw.get("parentId"),
        "path": path,
        "name": full_name(raw),
        "extension": extension if isinstance(extension, str) and extension else None,
        "size": _size(raw),
        "date_created": _iso(raw.get("dateCreated")),
        "date_modified": _iso(raw.get("dateModified")),
        "date_changed": _iso(raw.get("dateChanged")),
        "date_last_opened": _iso(raw.get("lastOpenTime")),
        "etag": raw.get("etag"),
        "kind": _KINDS.get(str(raw.get("type")), str(raw.get("type") or "unknown").lower()),
        "trashed": trashed,
        "restore_path": raw.get("restorePath") if trashed else None,
        "shared": str(raw.get("drivewsid") or "").startswith(SHARED_PREFIXES),
        "files": _files(raw),
    }


def folder_items(reply: dict[str, Any]) -> list[Any] | None:
    """A folder reply's children; None when Apple says the folder is not there
    (``ID_INVALID``). Any other reply without a list of items is an error, never an
    empty folder (its children would be reported deleted)."""
    items = reply.get("items")
    if isinstance(items, list):
        return items
    if reply.get("status") == "ID_INVALID":
        return None
    shape = {k: type(v).__name__ for k, v in reply.items()}
    raise errors.AppleUnavailable(f"iCloud Drive answered a folder without its items: {shape}")


async def fetch(
    client: AppleClient, filters: Filters, set_cursor: CursorSink
) -> AsyncIterator[JSONDict]:
    known = known_marks(filters.cursor)
    marks = NewMarks()
    # The folders still to list, a level at a time, as many a request as
    # drive.folder_batches allows.
    level = [_Folder(drive.ROOT_ID, "", False, None), _Folder(drive.TRASH_ID, "", True, None)]
    for _ in range(MAX_DEPTH):
        below: list[_Folder] = []
        async for folder, reply, children in _level(client, level):
            met: set[str] = set()  # a reply that repeats an item: once is enough
            if folder.id == drive.ROOT_ID:
                root = to_item(reply, "", False)
                root["parent"] = None
                if _emit(root, known, marks, filters):
                    yield root
            for raw in children:
                if not isinstance(raw, dict) or not raw.get("drivewsid"):
                    continue
                child_path = f"{folder.path}/{full_name(raw)}" if folder.path else full_name(raw)
                item = to_item(raw, child_path, folder.trashed)
                if item["id"] in met:
                    continue
                met.add(item["id"])
                if _emit(item, known, marks, filters):
                    yield item
                if raw.get("type") != "FILE":
                    count = raw.get("directChildrenCount")
                    expected = count if isinstance(count, int) else None
                    share = raw.get("shareID") if isinstance(raw.get("shareID"), dict) else None
                    below.append(_Folder(item["id"], child_path, folder.trashed, expected, share))
        level = below
        if not level:
            break
    else:
        raise errors.AppleUnavailable(f"iCloud Drive listed deeper than {MAX_DEPTH} levels")
    if known is not None:
        for gone in known.gone():
            yield removed(gone)
    set_cursor({CURSOR_KEY: marks.to_cursor()})


async def _level(
    client: AppleClient, level: list[_Folder]
) -> AsyncIterator[tuple[_Folder, dict[str, Any], list[Any]]]:
    """Each folder of ``level`` that is still there: (the folder, its reply, its items)."""
    for batch in drive.folder_batches([folder.expected for folder in level]):
        chunk = level[batch.start : batch.stop]
        asks = [drive.FolderAsk(folder.id, folder.share) for folder in chunk]
        replies = await drive.folders(client, asks)
        for folder, reply in zip(chunk, replies, strict=True):
            children = folder_items(reply)
            if children is not None:  # None: gone since its parent was listed (ID_INVALID)
                yield folder, reply, children
        del replies, chunk, asks  # one request's replies at a time


def _emit(item: JSONDict, known: KnownMarks | None, marks: NewMarks, filters: Filters) -> bool:
    """Remember ``item`` in the new cursor; whether the listing publishes it."""
    mark = mark_of(item)
    marks.add(item["id"], mark)
    if known is not None:
        # The cursor narrows: an item moved or trashed keeps its old dates yet changed.
        return known.changed(item["id"], mark)
    # Folders always come, so every listed file's path is in the result.
    return item["kind"] != "file" or filters.admit(_changed_at(item))


def _changed_at(item: JSONDict) -> datetime | None:
    """The later of a file's content and metadata changes (a move or trash changes only
    ``dateChanged``)."""
    moments = [parse_date(item["date_modified"]), parse_date(item["date_changed"])]
    found = [m for m in moments if m is not None]
    return max(found) if found else None
