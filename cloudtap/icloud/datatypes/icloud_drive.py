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
Incremental: the cursor keeps a digest of each item (its etag, path, size, dates;
compactly, ``drive_marks``); a later listing walks the tree again, the same way, but
yields only items whose digest changed, and reports items no longer there as deleted.
No subtree is skipped on its folder's etag: in captured listings a folder's etag does
not follow its children's (docs/apple-evidence.md, "iCloud Drive").
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

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
_Folder = tuple[str, str, bool, int | None]


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
    ref = DriveFileRef(str(zone), str(document), size, extension, content_etag(raw.get("etag")))
    return [{"id": ref.to_id(), "data_type": "file", "extension": extension, "size": size}]


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
    # (folder id, its path, trashed, its expected children) of each folder still to list,
    # a level at a time, as many folders a request as drive.folder_batches allows.
    level: list[_Folder] = [(drive.ROOT_ID, "", False, None), (drive.TRASH_ID, "", True, None)]
    for _ in range(MAX_DEPTH):
        below: list[_Folder] = []
        for batch in drive.folder_batches([folder[3] for folder in level]):
            chunk = level[batch.start : batch.stop]
            replies = await drive.folders(client, [folder[0] for folder in chunk])
            for (folder_id, path, trashed, _), reply in zip(chunk, replies, strict=True):
                children = folder_items(reply)
                if children is None:
                    continue  # gone since its parent was listed (ID_INVALID): not there now
                if folder_id == drive.ROOT_ID:
                    root = to_item(reply, "", False)
                    root["parent"] = None
                    if _emit(root, known, marks, filters):
                        yield root
                for raw in children:
                    if not isinstance(raw, dict) or not raw.get("drivewsid"):
                        continue
                    child_path = f"{path}/{full_name(raw)}" if path else full_name(raw)
                    item = to_item(raw, child_path, trashed)
                    if item["id"] in marks:
                        continue  # listed twice (a reply that repeats itself): once is enough
                    if _emit(item, known, marks, filters):
                        yield item
                    if raw.get("type") != "FILE":
                        count = raw.get("directChildrenCount")
                        expected = count if isinstance(count, int) else None
                        below.append((item["id"], child_path, trashed, expected))
            del replies, chunk  # one request's replies at a time
        level = below
        if not level:
            break
    else:
        raise errors.AppleUnavailable(f"iCloud Drive listed deeper than {MAX_DEPTH} levels")
    if known is not None:
        for gone in known.gone():
            yield removed(gone)
    set_cursor({CURSOR_KEY: marks.to_cursor()})


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
